"""Render a report in headless Chromium: check its layout and save a full-page screenshot.

    python -m edgeq.profiling.reporting.screenshot report.html shot.png

The check loads a copy of the page with a measuring script appended (the report itself has no
script), opens every ``<details>`` and reads what the browser laid out: horizontal overflow of the page, elements that
stick out past its right edge, tables wider than their box (which would scroll), SVG text cut off at its chart's edge, script errors. Then the
screenshot is taken at the page's measured height. Needs Debian's ``chromium-headless-shell``
(or ``chromium``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ...errors import EdgeqError

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
WIDTH = 1280

_PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
window.addEventListener('load', function () {
  var height = document.documentElement.scrollHeight;  // as shown: collapsed <details> stay collapsed
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var vw = window.innerWidth, out = {errors: window.__errors, viewport: vw,
    scroll_width: document.documentElement.scrollWidth, height: height,
    overflowing: [], clipped_text: [], scrolling_boxes: [], empty_svgs: 0, svgs: 0};
  document.querySelectorAll('.scroll').forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) out.scrolling_boxes.push((el.textContent || '').slice(0, 40));
  });
  document.querySelectorAll('body *').forEach(function (el) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') return;
    if (el.closest('.scroll') && !el.classList.contains('scroll')) return;
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1) out.overflowing.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40));
  });
  document.querySelectorAll('svg').forEach(function (s) {
    out.svgs++;
    var r = s.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) out.empty_svgs++;
    var vb = s.viewBox && s.viewBox.baseVal, w = vb && vb.width ? vb.width : r.width;
    s.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      if (b.x < -1 || b.x + b.width > w + 1) out.clipped_text.push(t.textContent.slice(0, 40));
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'edgeq-layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def find_browser() -> str:
    """Path of a headless Chromium; EdgeqError naming the package to install otherwise."""
    for b in BROWSERS:
        p = shutil.which(b)
        if p:
            return p
    raise EdgeqError("no headless Chromium found: apt-get install chromium-headless-shell (Debian)")


def _run(browser: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="edgeq-chromium-") as profile_dir:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--allow-file-access-from-files", f"--user-data-dir={profile_dir}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile_dir})


def layout_check(page: Path, width: int = WIDTH, timeout: float = 60) -> dict:
    """What Chromium laid out for ``page`` (see the module doc); the page file is not modified."""
    browser = find_browser()
    text = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="edgeq-check-") as tmp:
        probe = Path(tmp) / page.name
        probe.write_text(text.replace("</body>", _PROBE + "</body>") if "</body>" in text else text + _PROBE,
                         encoding="utf-8")
        p = _run(browser, [f"--window-size={width},900", "--virtual-time-budget=2000", "--dump-dom",
                           probe.as_uri()], timeout)
    marker = "id=\"edgeq-layout-check\">"
    i = p.stdout.find(marker)
    if i < 0:
        raise EdgeqError(f"Chromium did not lay out {page} (exit {p.returncode}): "
                         f"{(p.stderr.strip().splitlines() or ['no output'])[-1]}")
    raw = p.stdout[i + len(marker):p.stdout.index("</pre>", i)]
    import html as _html
    return json.loads(_html.unescape(raw))


def screenshot(page: Path, png: Path, width: int = WIDTH, height: int | None = None, timeout: float = 60) -> Path:
    """Full-page PNG of ``page`` (height measured by :func:`layout_check` unless given)."""
    if height is None:
        height = int(layout_check(page, width, timeout)["height"])
    png.parent.mkdir(parents=True, exist_ok=True)
    p = _run(find_browser(), [f"--window-size={width},{max(200, height)}", f"--screenshot={png}",
                              page.resolve().as_uri()], timeout)
    if not png.is_file() or png.stat().st_size == 0:
        raise EdgeqError(f"Chromium wrote no screenshot of {page} (exit {p.returncode})")
    return png


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m edgeq.profiling.reporting.screenshot REPORT.html OUT.png", file=sys.stderr)
        return 2
    check = layout_check(Path(args[0]))
    screenshot(Path(args[0]), Path(args[1]), height=int(check["height"]))
    print(json.dumps({k: v for k, v in check.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
