"""Self-contained HTML report of a profile run: tables plus inline SVG we draw ourselves (no JS, no CSS files)."""
from __future__ import annotations

import html

_CSS = """body{font-family:system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.warn{background:#fff3cd;border:2px solid #d39e00;padding:8px;font-weight:bold}
.err{background:#f8d7da;border:1px solid #c00;padding:6px}.muted{color:#777}
svg{background:#fafafa;border:1px solid #ddd;margin:4px 8px 4px 0}"""
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _e(x: object) -> str:
    return html.escape(str(x))


def _fmt(v: object, digits: int = 3) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        # significant digits, not decimals: sub-µs and multi-second latencies both stay readable
        return f"{v:.{digits + 1}g}"
    return _e(v)


def _series(report: dict) -> list[tuple[str, dict]]:
    """(device/config label, config result) for every measured configuration."""
    out = []
    for dev in report.get("devices") or []:
        if not dev:
            continue
        for c in dev.get("configs") or []:
            out.append((f"{dev['device']['name']} · {c.get('label', '?')}", c))
    return out


def box_svg(series: list[tuple[str, dict]], width: int = 760) -> str:
    """Horizontal box plots (p5–p95 whiskers, p25–p75 box from samples, median line) on one shared axis."""
    rows = []
    for label, c in series:
        st = c.get("steady") or {}
        s = sorted(st.get("samples_ms") or [])
        if not s:
            continue
        q = lambda p: s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]  # noqa: E731
        rows.append((label, st.get("p5", s[0]), q(25), st.get("median", q(50)), q(75), st.get("p95", s[-1])))
    if not rows:
        return "<p class='muted'>no latency samples</p>"
    lo = min(r[1] for r in rows)
    hi = max(r[5] for r in rows)
    span = (hi - lo) or max(hi, 1e-9) * 0.1
    lo, hi = max(0.0, lo - 0.05 * span), hi + 0.05 * span
    left, right, rh = 230, 20, 28
    h = 40 + rh * len(rows)
    x = lambda v: left + (v - lo) / (hi - lo) * (width - left - right)  # noqa: E731
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' role='img'>"
             "<title>latency distribution per configuration (ms)</title>"]
    for i, (label, p5, p25, med, p75, p95) in enumerate(rows):
        y = 10 + i * rh
        col = _COLORS[i % len(_COLORS)]
        parts.append(f"<text x='4' y='{y + 16}' font-size='11'>{_e(label[:34])}</text>"
                     f"<line x1='{x(p5):.1f}' x2='{x(p95):.1f}' y1='{y + 12}' y2='{y + 12}' stroke='{col}'/>"
                     f"<rect x='{x(p25):.1f}' y='{y + 3}' width='{max(1.0, x(p75) - x(p25)):.1f}' height='18' "
                     f"fill='{col}' fill-opacity='0.35' stroke='{col}'/>"
                     f"<line x1='{x(med):.1f}' x2='{x(med):.1f}' y1='{y + 1}' y2='{y + 23}' stroke='#000' "
                     "stroke-width='2'/>")
    ya = 14 + rh * len(rows)
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f"<text x='{x(v):.1f}' y='{ya + 12}' font-size='10' text-anchor='middle'>{v:.3g}</text>")
    parts.append(f"<text x='{width - right}' y='{ya + 24}' font-size='10' text-anchor='end'>ms (box p25–p75, "
                 "whiskers p5–p95, bar median)</text></svg>")
    return "".join(parts)


def histogram_svg(samples: list[float], color: str, width: int = 360, height: int = 140, bins: int = 30) -> str:
    if not samples:
        return ""
    lo, hi = min(samples), max(samples)
    if hi <= lo:
        hi = lo + 1e-6
    counts = [0] * bins
    for v in samples:
        counts[min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1
    top = max(counts)
    bw = (width - 20) / bins
    bars = "".join(
        f"<rect x='{10 + i * bw:.1f}' y='{height - 20 - c / top * (height - 35):.1f}' width='{bw - 1:.1f}' "
        f"height='{c / top * (height - 35):.1f}' fill='{color}'/>" for i, c in enumerate(counts) if c)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img'>"
            f"<title>latency histogram</title>{bars}"
            f"<text x='10' y='{height - 6}' font-size='10'>{lo:.3g} ms</text>"
            f"<text x='{width - 10}' y='{height - 6}' font-size='10' text-anchor='end'>{hi:.3g} ms</text>"
            f"<text x='10' y='12' font-size='10'>n={len(samples)}</text></svg>")


def energy_svg(series: list[tuple[str, dict]], width: int = 760) -> str:
    rows = [(label, (c.get("energy") or {}).get("energy_per_inference_uj"),
             (c.get("energy") or {}).get("marginal_energy_per_inference_uj")) for label, c in series]
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return "<p class='muted'>no energy figures: no meter was available (see the reasons in the tables)</p>"
    top = max(max(r[1], r[2] or 0) for r in rows) or 1.0
    left, rh = 230, 26
    h = 30 + rh * len(rows)
    sc = (width - left - 80) / top
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' role='img'>"
             "<title>energy per inference (µJ)</title>"]
    for i, (label, whole, marg) in enumerate(rows):
        y = 8 + i * rh
        parts.append(f"<text x='4' y='{y + 14}' font-size='11'>{_e(label[:34])}</text>"
                     f"<rect x='{left}' y='{y}' width='{max(0.5, whole * sc):.1f}' height='10' fill='#1f77b4'/>"
                     f"<rect x='{left}' y='{y + 11}' width='{max(0.5, (marg or 0) * sc):.1f}' height='8' "
                     f"fill='#ff7f0e'/><text x='{left + whole * sc + 4:.1f}' y='{y + 10}' font-size='10'>"
                     f"{whole:.4g} µJ</text>")
    parts.append(f"<text x='{left}' y='{h - 4}' font-size='10'>blue: whole device, orange: marginal "
                 "(idle baseline subtracted)</text></svg>")
    return "".join(parts)


def _device_section(dev: dict, color_base: int) -> str:
    d = dev["device"]
    out = [f"<h2>{_e(d['name'])} <span class='muted'>({_e(d['uri'])}, {_e(d.get('class'))})</span></h2>"]
    if dev.get("emulated"):
        out.append(f"<p class='warn'>{_e(dev.get('notice'))}</p>")
    out.append(f"<p>status: <b>{_e(dev.get('status'))}</b>, wall time {_fmt(dev.get('wall_s'), 1)} s</p>")
    if dev.get("error"):
        out.append(f"<p class='err'>{_e(dev['error'])}" +
                   (" — partial results below are kept" if dev.get("configs") else "") + "</p>")
    env = (dev.get("environment") or {}).get("before") or {}
    if env:
        out.append("<p class='muted'>" + ", ".join(f"{_e(k)}: {_e(v)}" for k, v in env.items()) + "</p>")
    cfgs = dev.get("configs") or []
    if not cfgs:
        return "".join(out)
    heads = ["config", "load ms", "first ms", "median", "mean", "std", "min", "p5", "p90", "p95", "p99", "max",
             "n", "peak RSS MiB", "µJ/inf", "marginal µJ/inf"]
    out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>")
    for c in cfgs:
        st = c.get("steady") or {}
        mem = c.get("memory") or {}
        en = c.get("energy") or {}
        rss = mem.get("peak_rss_bytes")
        arena = mem.get("arena_bytes")
        memtxt = _fmt(rss / 2**20, 1) if rss else (f"arena {arena} B" if arena else "—")
        cells = [c.get("label"), _fmt(c.get("load_ms")), _fmt(c.get("first_inference_ms"))] + \
                [_fmt(st.get(k)) for k in ("median", "mean", "std", "min", "p5", "p90", "p95", "p99", "max")] + \
                [_fmt(st.get("count")), memtxt, _fmt(en.get("energy_per_inference_uj")),
                 _fmt(en.get("marginal_energy_per_inference_uj"))]
        out.append("<tr>" + "".join(f"<td>{_e(x) if i == 0 else x}</td>" for i, x in enumerate(cells)) + "</tr>")
    out.append("</table>")
    notes = {c.get("error") for c in cfgs} - {None}
    notes |= {(c.get("energy") or {}).get("reason") for c in cfgs} - {None}
    notes |= {(c.get("op_profile") or {}).get("reason") for c in cfgs} - {None}
    for n in sorted(notes):
        out.append(f"<p class='muted'>note: {_e(n)}</p>")
    out.append("<div>")
    for i, c in enumerate(cfgs):
        s = (c.get("steady") or {}).get("samples_ms") or []
        out.append(f"<figure style='display:inline-block;margin:0'>"
                   f"{histogram_svg(s, _COLORS[(color_base + i) % len(_COLORS)])}"
                   f"<figcaption>{_e(c.get('label'))}</figcaption></figure>")
    out.append("</div>")
    return "".join(out)


def render_html(report: dict) -> str:
    series = _series(report)
    emulated = any(d and d.get("emulated") for d in report.get("devices") or [])
    m = report.get("model") or {}
    body = [f"<h1>edgeq profile: {_e(m.get('path'))}</h1>",
            f"<p class='muted'>{_e(m.get('bytes'))} bytes, sha256 {_e(m.get('sha256'))}, "
            f"created {_e(report.get('created'))}</p>"]
    if emulated:
        body.append("<p class='warn'>This report includes emulated devices: their timings are not hardware "
                    "timings.</p>")
    body.append("<h2>All configurations side by side: steady-state latency</h2>" + box_svg(series))
    body.append("<h2>Energy per inference</h2>" + energy_svg(series))
    n = 0
    for dev in report.get("devices") or []:
        if dev:
            body.append(_device_section(dev, n))
            n += len(dev.get("configs") or [])
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>edgeq profile</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")

