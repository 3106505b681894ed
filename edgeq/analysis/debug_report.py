"""The per-layer debug report as a text table, a self-contained HTML page or JSON."""
from __future__ import annotations

import html
import json
import math
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import EdgeqError
from .layer_errors import DebugReport


def format_table(report: DebugReport, limit: int | None = None) -> str:
    head = f"{'layer':<28} {'op':<18} {'SQNR dB':>8} {'lost dB':>8} {'RMSE/step':>9} {'cosine':>8}"
    lines = [head, "-" * len(head)]
    for r in report.layers[:limit]:
        lines.append(f"{r.layer[:28]:<28} {r.op[:18]:<18} {r.sqnr_db:8.2f} {r.sqnr_drop_db:8.2f} "
                     f"{r.rmse_over_scale:9.3f} {r.cosine:8.5f}")
    if report.unmatched:
        lines.append(f"unmatched quantized tensors (no float counterpart): {', '.join(report.unmatched)}")
    lines += [f"note: {n}" for n in report.notes]
    if report.sensitivity is not None:
        lines += ["", "sensitivity: model output with only this layer in int8, most sensitive first",
                  f"{'layer':<28} {'ops':>4} {'SQNR dB':>8} {'top-1 %':>8}"]
        for r in report.sensitivity[:limit]:
            acc = f"{r.accuracy:8.2f}" if r.accuracy is not None else f"{'-':>8}"
            lines.append(f"{r.layer[:28]:<28} {r.ops:4d} {r.sqnr_db:8.2f} {acc}")
    return "\n".join(lines)


#: rough glyph widths in em of a sans-serif font (DejaVu Sans, Chromium's default on Debian), rounded up
_NARROW, _WIDE = set("ijlI.,:;'|!/()[]tf "), {"W": 1.0, "M": 0.9, "m": 0.98, "w": 0.82}


def _text_em(s: str) -> float:
    return sum(0.36 if c in _NARROW else _WIDE.get(c) or (0.76 if c.isupper() else 0.64) for c in s)


def fit_label(name: str, px: float, font_px: float = 12) -> str:
    """``name`` as it fits in ``px`` pixels: whole, or "…" and its end (a scope path's end names the op)."""
    if _text_em(name) * font_px <= px:
        return name
    room = px / font_px - _text_em("…")
    tail = ""
    for c in reversed(name):
        if _text_em(c + tail) > room:
            break
        tail = c + tail
    return "…" + tail


def render_html(report: DebugReport, title: str = "edgeq quantization debug") -> str:
    """A self-contained HTML page: SVG bars of SQNR lost per layer, worst first, and the full table."""
    rows = report.layers
    bar_h, gap, left, width = 18, 4, 260, 420
    finite = [max(r.sqnr_drop_db, 0.0) for r in rows if math.isfinite(r.sqnr_drop_db)]
    top = max(finite + [1e-9])
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" '
           f'height="{len(rows) * (bar_h + gap) + 10}" font-family="sans-serif" font-size="12">']
    for i, r in enumerate(rows):
        y = i * (bar_h + gap) + 5
        d = r.sqnr_drop_db if math.isfinite(r.sqnr_drop_db) else top
        w = max(d, 0.0) / top * width
        # a long name is cut at its start, and shown whole when the pointer rests on it
        svg.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end"><title>{html.escape(r.layer)}</title>'
                   f'{html.escape(fit_label(r.layer, left - 10))}</text>')
        svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#c0392b"/>')
        svg.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}">{d:.1f} dB</text>')
    svg.append("</svg>")
    table = ["<table><tr><th>layer</th><th>op</th><th>SQNR dB</th><th>lost dB</th><th>RMSE/step</th>"
             "<th>cosine</th><th>tensor</th></tr>"]
    for r in rows:
        table.append(f"<tr><td class=n>{html.escape(r.layer)}</td><td>{r.op}</td><td>{r.sqnr_db:.2f}</td>"
                     f"<td>{r.sqnr_drop_db:.2f}</td><td>{r.rmse_over_scale:.3f}</td><td>{r.cosine:.5f}</td>"
                     f"<td class=n><code>{html.escape(r.tensor)}</code></td></tr>")
    table.append("</table>")
    extra = ("<p>Unmatched quantized tensors: " + ", ".join(html.escape(u) for u in report.unmatched) + "</p>"
                 if report.unmatched else "")
    # how the comparison ran (builtin kernels, the equalized float model) reads before the figures it qualifies,
    # not under a table of every layer
    notes = "".join(f"<p>Note: {html.escape(n)}</p>" for n in report.notes)
    if report.sensitivity is not None:
        extra += ("<h2>Sensitivity</h2><p>Model output SQNR with only this layer in int8 "
                      "(lower = more sensitive).</p><table><tr><th>layer</th><th>ops</th><th>SQNR dB</th>"
                      "<th>top-1 %</th></tr>")
        for r in report.sensitivity:
            acc = f"{r.accuracy:.2f}" if r.accuracy is not None else "-"
            extra += (f"<tr><td class=n>{html.escape(r.layer)}</td><td>{r.ops}</td><td>{r.sqnr_db:.2f}</td>"
                          f"<td>{acc}</td></tr>")
        extra += "</table>"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            # a phone's width (390 px): the page does not scroll sideways, the chart and the tables do in their
            # own boxes (the chart keeps its 12 px labels)
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}"
            "td{white-space:nowrap}td.n{white-space:normal;overflow-wrap:anywhere;min-width:12em}"
            ".scroll{overflow-x:auto;max-width:100%}p,h1{overflow-wrap:anywhere}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{report.samples} samples. SQNR lost at each op "
            "(input SQNR − output SQNR), worst first.</p>" + notes + "<div class='scroll'>" + "".join(svg) + "</div>"
            + "<div class='scroll'>" + "".join(table) + "</div>" + extra.replace("<table>", "<div class='scroll'><table>")
            .replace("</table>", "</table></div>") + "</body></html>")


def check_report_path(path: Path) -> None:
    if path.suffix.lower() not in (".html", ".htm", ".json"):
        raise EdgeqError(f"cannot write a report as '{path.suffix or path.name}': use -o report.html or report.json")
    if not path.parent.is_dir():
        raise EdgeqError(f"folder '{path.parent}' of the report does not exist: create it or pick another -o path")


def write_report(report: DebugReport, path: Path) -> None:
    """Write ``report`` as self-contained HTML or JSON, atomically."""
    check_report_path(path)
    if path.suffix.lower() == ".json":
        write_text_atomic(path, json.dumps(report.to_dict(), indent=2))
    else:
        write_text_atomic(path, render_html(report))
