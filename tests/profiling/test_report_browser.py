"""The profile report in a real browser (Debian's headless Chromium): it loads without errors, nothing
sticks out of the page or is cut off, and a screenshot a developer can look at is written.

Screenshots land in the test's tmp folder (printed) and, when EDGEQ_SCREENSHOT_DIR is set, there too.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

from edgeq.profiling.reporting.compare import compare
from edgeq.profiling.reporting.html_report import render_html
from edgeq.profiling.reporting.screenshot import layout_check, screenshot
from edgeq.runtime import DelegateError, delegate_path
from profiling_helpers import profile_ok


def _delegates() -> list[str]:
    out = ["--delegate", "none", "--delegate", "xnnpack", "--delegate", "cpu"]
    try:
        delegate_path("gpu")
        # on PoCL's CPU device, used only when asked for (else gpu/t1 cannot run: no GPU device)
        out += ["--delegate", "gpu", "--delegate-option", "gpu:platform=Portable"]
    except DelegateError:
        pass  # built without OpenCL headers: the page is checked without a GPU configuration
    return out


def _keep(png: Path) -> None:
    print(f"screenshot: {png}")
    dest = os.environ.get("EDGEQ_SCREENSHOT_DIR")
    if dest:
        Path(dest).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(dest) / png.name)


def assert_clean(check: dict, min_svgs: int) -> None:
    """What a reader would see as broken: script errors, sideways scrolling, cut-off labels, empty charts."""
    assert check["errors"] == [], check
    assert check["scroll_width"] <= check["viewport"], check
    assert check["overflowing"] == [] and check["scrolling_boxes"] == [], check
    assert check["clipped_text"] == [], check
    assert check["empty_svgs"] == 0 and check["svgs"] >= min_svgs, check


def test_profile_report_renders_cleanly_in_chromium(mixed_model, tmp_path):
    out = tmp_path / "rep"
    dev = profile_ok(mixed_model, "local", out, *_delegates())
    report = json.loads((out / "profile.json").read_text())
    n = len(dev["configs"])
    # the same run as its own baseline (comparison section), and a second device that failed half-way, as the
    # reliability work reports it: an error, one configuration measured, one that never ran
    report["comparison"] = compare(report, {**copy.deepcopy(report), "_path": str(out / "profile.json")}, [])
    broken = copy.deepcopy(report["devices"][0])
    broken["device"]["name"] = "lab-pi"
    broken["status"] = "partial"
    broken["error"] = "ssh://pi@10.0.0.2: connection lost during round 2"
    broken["configs"] = [broken["configs"][0], {"label": "cpu/t2", "config": {"delegate": "cpu", "threads": 2},
                                                "error": "cpu/t2 cannot run: device went away", "incomplete": True}]
    broken.pop("timeline", None)
    report["devices"].append(broken)
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    html = page.read_text()
    assert "<script" not in html and "partial" in html and "failed" in html and "connection lost" in html
    assert "op not implemented" in html and "act_tanh" in html  # the declined TANH, by its layer name
    check = layout_check(page)
    # box plots (summary + side by side), timeline, one histogram per measured configuration, energy-free
    assert_clean(check, min_svgs=3 + n + 1)
    narrow = layout_check(page, width=760)  # half a laptop screen: tables may scroll in their box, the page not
    assert narrow["errors"] == [] and narrow["scroll_width"] <= narrow["viewport"], narrow
    # a phone: the wide charts keep their size (readable labels) and scroll in their own box, as tables do (main
    # scaled the 900-unit box plot and timeline to 358 px: 11 px labels drawn at 4-5 px)
    phone = layout_check(page, width=390)
    assert phone["errors"] == [] and phone["scroll_width"] <= phone["viewport"], phone["overflowing"]
    boxes = " | ".join(phone["scrolling_boxes"])
    assert "steady-state latency per configuration" in boxes and "timeline of the measurement phases" in boxes, boxes
    png = screenshot(page, tmp_path / "profile_report.png", height=check["height"])
    assert png.stat().st_size > 20_000  # a real rendering, not a blank page
    _keep(png)


def test_the_check_catches_what_it_looks_for(tmp_path):
    """A page with a too-wide table and a label past its chart's edge must be flagged."""
    page = tmp_path / "bad.html"
    cells = "".join(f"<td>{'x' * 30}</td>" for _ in range(12))
    page.write_text("<!DOCTYPE html><html><body><table><tr>" + cells + "</tr></table>"
                    "<div class='scroll' style='overflow-x:auto;width:300px'><table><tr>" + cells + "</tr></table></div>"
                    "<svg viewBox='0 0 100 40' width='100' height='40'><text x='60' y='20'>cut off label</text></svg>"
                    "</body></html>")
    check = layout_check(page)
    assert check["scroll_width"] > check["viewport"]
    assert check["overflowing"] and check["scrolling_boxes"] and check["clipped_text"] == ["cut off label"]
