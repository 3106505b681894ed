"""Inline SVG charts of the profile report, drawn here (no JavaScript, no external files).

Every chart has a viewBox and scales down to the page width; axes carry round tick values in one
unit that fits their range.
"""
from __future__ import annotations

import html
import math

from . import units

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
BASELINE_COLOR = "#9a9a9a"
PHASE_COLORS = {"load": "#8c564b", "first inference": "#d62728", "warm-up": "#ff7f0e", "steady state": "#1f77b4",
                "placement": "#bcbd22", "energy": "#2ca02c", "memory": "#9467bd"}
FONT = "font-family='system-ui,sans-serif'"


def _e(x: object) -> str:
    return html.escape(str(x))


def _open(width: int, height: int, title: str, wide: bool = False) -> str:
    """``wide``: a chart of configurations or phases side by side (box plot, timeline, bars), which keeps its size
    and scrolls in its own box (:func:`_scroll`) on a narrow screen: scaled to a phone's 390 px its 11 px labels
    were 4-5 px. The others (histograms) scale down with the page."""
    style = f"min-width:{width}px;height:auto" if wide else "max-width:100%;height:auto"
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
            f"height='{height}' role='img' {FONT} style='{style}'><title>{_e(title)}</title>")


def _scroll(chart: str) -> str:
    """A wide chart in a box that scrolls sideways where the page is narrower than the chart."""
    return f"<div class='scroll'>{chart}</div>"


class Axis:
    """A horizontal value axis from ``lo`` to ``hi`` over pixels [x0, x1], linear or log10."""

    def __init__(self, lo: float, hi: float, x0: float, x1: float, log: bool = False):
        self.log = log and lo > 0
        if self.log:
            self.ticks = [10 ** k * m for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                          for m in (1, 2, 5) if lo <= 10 ** k * m <= hi]
            if len(self.ticks) < 2:
                self.log = False
        if not self.log:
            self.ticks = units.nice_ticks(lo, hi)
            lo, hi = min(lo, self.ticks[0]), max(hi, self.ticks[-1])
        self.lo, self.hi, self.x0, self.x1 = lo, hi, x0, x1

    def x(self, v: float) -> float:
        if self.log:
            v = max(v, self.lo)
            f = (math.log10(v) - math.log10(self.lo)) / ((math.log10(self.hi) - math.log10(self.lo)) or 1)
        else:
            f = (v - self.lo) / ((self.hi - self.lo) or 1)
        return self.x0 + min(1.0, max(0.0, f)) * (self.x1 - self.x0)

    def draw_ms(self, y: float, grid_top: float | None = None) -> str:
        """Ticks and labels of a time axis (values in ms) at height ``y``, optional grid lines up to grid_top."""
        labels, unit = units.axis_labels_ms(self.ticks)
        out = [f"<line x1='{self.x0}' x2='{self.x1}' y1='{y}' y2='{y}' stroke='#999'/>"]
        for t, lab in zip(self.ticks, labels):
            x = self.x(t)
            if grid_top is not None:
                out.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{grid_top}' y2='{y}' stroke='#e4e4e4'/>")
            out.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{y}' y2='{y + 4}' stroke='#999'/>"
                       f"<text x='{x:.1f}' y='{y + 15}' font-size='11' text-anchor='middle'>{lab}</text>")
        out.append(f"<text x='{self.x1}' y='{y + 29}' font-size='11' text-anchor='end' fill='#555'>{unit}"
                   f"{' (log scale)' if self.log else ''}</text>")
        return "".join(out)


def box_plot(rows: list[dict], width: int = 900) -> str:
    """Horizontal box plots on one shared axis.

    ``rows``: ``{"label", "box": [p5, p25, median, p75, p95], "color", "baseline": bool}``; baseline rows are
    drawn grey and hatched right under the row they are compared with.
    """
    rows = [r for r in rows if r.get("box")]
    if not rows:
        return "<p class='muted'>no latency samples</p>"
    lo = min(r["box"][0] for r in rows)
    hi = max(r["box"][4] for r in rows)
    left, right, rh = 250, 75, 26
    lin = Axis(max(0.0, lo - 0.05 * (hi - lo)), hi + 0.05 * (hi - lo), left, width - right)
    ax = lin
    if lo > 0:
        lg = Axis(lo * 0.9, hi * 1.1, left, width - right, log=True)

        def box_share(a: Axis) -> float:  # the median share of the axis the p25..p75 boxes take
            w = sorted((a.x(r["box"][3]) - a.x(r["box"][1])) / (a.x1 - a.x0) for r in rows)
            return w[len(w) // 2]

        # log over a wide range of values, and where a long p95 tail (a loaded machine, one configuration) would
        # squash the boxes into a sliver at the axis' low end on a linear axis (2 px of 575 on such a profile)
        if lg.log and (hi / lo > 30 or (box_share(lin) < 0.05 and box_share(lg) > 2 * box_share(lin))):
            ax = lg
    h = 16 + rh * len(rows) + 36
    out = [_open(width, h, "steady-state latency per configuration: box p25–p75, whiskers p5–p95, bar median", wide=True)]
    top = 8
    for i, r in enumerate(rows):
        y = top + i * rh
        p5, p25, med, p75, p95 = r["box"]
        col = BASELINE_COLOR if r.get("baseline") else r.get("color", COLORS[0])
        dash = " stroke-dasharray='3 2'" if r.get("baseline") else ""
        label = r["label"] if len(r["label"]) <= 38 else r["label"][:37] + "…"
        grey = " fill='#666'" if r.get("baseline") else ""
        out.append(f"<text x='4' y='{y + 15}' font-size='12'{grey}>"
                   f"{_e(label)}</text>"
                   f"<line x1='{ax.x(p5):.1f}' x2='{ax.x(p95):.1f}' y1='{y + 11}' y2='{y + 11}' stroke='{col}'/>"
                   f"<rect x='{ax.x(p25):.1f}' y='{y + 3}' width='{max(1.5, ax.x(p75) - ax.x(p25)):.1f}' height='16' "
                   f"fill='{col}' fill-opacity='0.3' stroke='{col}'{dash}/>"
                   f"<line x1='{ax.x(med):.1f}' x2='{ax.x(med):.1f}' y1='{y + 1}' y2='{y + 21}' stroke='#000' "
                   f"stroke-width='2'/><text x='{ax.x(p95) + 4:.1f}' y='{y + 15}' "
                   f"font-size='11' fill='#333'>{_e(units.duration_ms(med))}</text>")
    out.append(ax.draw_ms(top + rh * len(rows) + 2, grid_top=top))
    out.append("</svg>")
    return _scroll("".join(out))


def histogram(samples: list[float], color: str, width: int = 430, height: int = 180, bins: int = 40) -> str:
    """Histogram of the samples between p1 and p99 with median and p90 marked; the tails are counted in words."""
    if not samples:
        return "<p class='muted'>no samples</p>"
    s = sorted(samples)
    n = len(s)

    def pct(q: float) -> float:
        pos = (n - 1) * q / 100
        lo = math.floor(pos)
        return s[lo] + (s[min(lo + 1, n - 1)] - s[lo]) * (pos - lo)

    p1, p99, med, p90 = pct(1), pct(99), pct(50), pct(90)
    if p99 <= p1:
        p1, p99 = s[0], s[-1]
    if p99 <= p1:
        p99 = p1 * 1.001 + 1e-9
    left, right, top, bottom = 44, 14, 30, 50
    # a tail that spans a decade would squeeze the bulk into one bar: bin on a log axis then
    ax = Axis(p1, p99, left, width - right, log=p1 > 0 and p99 / p1 > 8)
    counts = [0] * bins
    below = above = 0
    for v in s:
        if v < ax.lo:
            below += 1
        elif v > ax.hi:
            above += 1
        else:
            frac = (ax.x(v) - ax.x0) / ((ax.x1 - ax.x0) or 1)
            counts[min(bins - 1, int(frac * bins))] += 1
    peak = max(counts) or 1
    plot_h = height - top - bottom
    bw = (ax.x1 - ax.x0) / bins
    out = [_open(width, height, f"latency histogram, p1–p99 (n={n})")]
    for i, c in enumerate(counts):
        if c:
            bh = c / peak * plot_h
            out.append(f"<rect x='{ax.x0 + i * bw:.1f}' y='{top + plot_h - bh:.1f}' width='{max(0.8, bw - 1):.1f}' "
                       f"height='{bh:.1f}' fill='{color}' fill-opacity='0.85'/>")
    for v, name in ((med, "median"), (p90, "p90")):
        x = ax.x(v)
        label = f"{name} {units.duration_ms(v)}"
        # a label that would run past the right edge goes to the left of its line
        anchor = (f"x='{x - 3:.1f}' text-anchor='end'" if x + 3 + 6.2 * len(label) > width
                  else f"x='{x + 3:.1f}'")
        out.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top - (16 if name == 'median' else 5)}' "
                   f"y2='{top + plot_h}' stroke='#000' "
                   f"stroke-dasharray='{'none' if name == 'median' else '4 3'}'/>"
                   f"<text {anchor} y='{top - 18 + (0 if name == 'median' else 11)}' font-size='10'>"
                   f"{_e(label)}</text>")
    out.append(f"<text x='{left - 4}' y='{top + 8}' font-size='10' fill='#555' text-anchor='end'>"
               f"{peak if peak < 10000 else units.sig(peak / 1000) + 'k'}</text><text x='{left - 4}' "
               f"y='{top + plot_h}' font-size='10' fill='#555' text-anchor='end'>0</text>"
               f"<text x='{left - 4}' y='{top + plot_h / 2 + 4:.0f}' font-size='9' fill='#777' "
               "text-anchor='end'>runs</text>")
    out.append(ax.draw_ms(top + plot_h + 1))
    tails = (f"{below} below p1 (min {units.duration_ms(s[0])}) · {above} above p99 "
             f"(max {units.duration_ms(s[-1])})")
    out.append(f"<text x='{left}' y='{height - 4}' font-size='10' fill='#555'>n={n} · {_e(tails)}</text></svg>")
    return "".join(out)


def timeline(events: list[dict], configs: list[str], width: int = 900) -> str:
    """One lane per configuration: when each phase ran, in seconds since the measurement began."""
    if not events:
        return "<p class='muted'>no phase timeline recorded</p>"
    end = max(e["end_s"] for e in events) or 1e-3
    left, right, lane = 150, 24, 20
    ticks = units.nice_ticks(0, end)
    scale_end = max(end, ticks[-1])
    x = lambda t: left + t / scale_end * (width - left - right)  # noqa: E731
    legend_h = 22
    h = 8 + lane * len(configs) + 24 + legend_h
    out = [_open(width, h, "timeline of the measurement phases per configuration", wide=True)]
    for i, lab in enumerate(configs):
        y = 8 + i * lane
        out.append(f"<text x='4' y='{y + 13}' font-size='12'>{_e(lab)}</text>"
                   f"<line x1='{left}' x2='{width - right}' y1='{y + 9}' y2='{y + 9}' stroke='#eee'/>")
        for e in events:
            if e["config"] != lab:
                continue
            x0, x1 = x(e["start_s"]), x(e["end_s"])
            out.append(f"<rect x='{x0:.1f}' y='{y + 2}' width='{max(1.5, x1 - x0):.1f}' height='14' "
                       f"fill='{PHASE_COLORS.get(e['phase'], '#777')}'><title>{_e(lab)} {_e(e['phase'])}: "
                       f"{_e(units.duration_ms((e['end_s'] - e['start_s']) * 1e3))}</title></rect>")
    ya = 8 + lane * len(configs) + 2
    out.append(f"<line x1='{left}' x2='{width - right}' y1='{ya}' y2='{ya}' stroke='#999'/>")
    for t in ticks:
        out.append(f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{ya}' y2='{ya + 4}' stroke='#999'/>"
                   f"<text x='{x(t):.1f}' y='{ya + 15}' font-size='11' text-anchor='middle'>{t:g}</text>")
    out.append(f"<text x='{width - right}' y='{ya + 31}' font-size='11' text-anchor='end' fill='#555'>"
               "seconds since the measurement began</text>")
    lx = left
    ly = ya + 22
    seen = [p for p in PHASE_COLORS if any(e["phase"] == p for e in events)]
    for p in seen:
        out.append(f"<rect x='{lx}' y='{ly}' width='10' height='10' fill='{PHASE_COLORS[p]}'/>"
                   f"<text x='{lx + 13}' y='{ly + 9}' font-size='11'>{_e(p)}</text>")
        lx += 20 + 7 * len(p)
    out.append("</svg>")
    return _scroll("".join(out))


def bars(rows: list[tuple[str, float, str]], unit_fmt, width: int = 900, title: str = "") -> str:
    """Labelled horizontal bars (label, value, color) with the value printed after each bar."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return ""
    top_v = max(abs(r[1]) for r in rows) or 1.0
    left, rh = 250, 22
    h = 8 + rh * len(rows)
    sc = (width - left - 110) / top_v
    out = [_open(width, h, title, wide=True)]
    for i, (label, v, col) in enumerate(rows):
        y = 4 + i * rh
        label = label if len(label) <= 38 else label[:37] + "…"
        out.append(f"<text x='4' y='{y + 13}' font-size='12'>{_e(label)}</text>"
                   f"<rect x='{left}' y='{y + 2}' width='{max(1.0, abs(v) * sc):.1f}' height='14' fill='{col}'/>"
                   f"<text x='{left + abs(v) * sc + 5:.1f}' y='{y + 13}' font-size='11'>{_e(unit_fmt(v))}</text>")
    out.append("</svg>")
    return _scroll("".join(out))
