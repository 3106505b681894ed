"""Self-contained HTML report of a profile run: tables and inline SVG charts (no JavaScript, no external files).

Order of the page: what was measured and anything that went wrong, the comparison with a baseline,
one summary table of every configuration, latency side by side, energy, then per device the phase
timeline, histograms, where each node ran, per-op times, memory and every statistic.
"""
from __future__ import annotations

import html
import os

from . import svg, units
from .compare import SHOWN, format_gate_change, format_value
from .terminal import start_split

_CSS = """body{font-family:system-ui,sans-serif;margin:20px auto;max-width:1100px;padding:0 16px;color:#222;
font-size:14px;line-height:1.4}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:26px 0 6px;
border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:15px;margin:16px 0 4px}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
td,th{border:1px solid #d6d6d6;padding:3px 7px;text-align:right;white-space:nowrap}th{background:#f3f3f3}
td.l,th.l{text-align:left}td.wrap{white-space:normal;text-align:left;min-width:16em}
.warn{background:#fff3cd;border:2px solid #d39e00;padding:8px;font-weight:bold}
.err{background:#f8d7da;border:1px solid #c00;padding:6px 8px}.muted{color:#666}.small{font-size:12px}
.tag{display:inline-block;padding:0 5px;border-radius:3px;font-size:12px;color:#fff}
.bad{color:#b00;font-weight:bold}.good{color:#070}dl{margin:4px 0}dt{font-weight:bold;float:left;clear:left;
width:13em}dd{margin:0 0 3px 13.5em}figure{display:inline-block;margin:0 10px 8px 0;vertical-align:top}
figcaption{font-size:12px;text-align:center}details{margin:6px 0}summary{cursor:pointer;color:#235}
code{overflow-wrap:anywhere}"""

#: colour of each place a node can run
PLACE_COLORS = {"edgeq-cpu": "#1f77b4", "edgeq-gpu": "#2ca02c", "XNNPACK": "#9467bd", "builtin kernels": "#7f7f7f",
                "reference kernels": "#8c564b"}
MEMORY_TERMS = [
    ("peak RSS", "the highest resident set size of a fresh process that loaded the model and ran 3 inferences "
                 "(VmHWM in /proc/self/status): what Linux's top and ps call RES, counted whole for shared libraries"),
    ("RSS before load", "resident set size after the runtime was imported, before the model was loaded"),
    ("growth over load", "peak RSS right after loading (interpreter, delegate, tensor arena) minus RSS before load"),
    ("growth in inference", "peak RSS after 3 inferences minus peak RSS after loading (scratch buffers, lazy init)"),
    ("PSS", "proportional set size (/proc/self/smaps_rollup): shared pages divided among the processes using "
            "them; what Android's dumpsys meminfo reports as TOTAL PSS"),
    ("arena", "on microcontrollers: the tensor arena the model used (the board's report: TensorFlow Lite Micro's, "
              "or for mcu:// devices the arena edgeq compile planned), next to the board's RAM and the model's flash"),
]


def _e(x: object) -> str:
    return html.escape(str(x))


def _table(heads: list[str], rows: list[list[str]], left: int = 1, cls: str = "") -> str:
    """A table in a horizontally scrollable box; the first ``left`` columns left-aligned; cells are HTML."""
    th = "".join(f"<th{' class=l' if i < left else ''}>{h}</th>" for i, h in enumerate(heads))
    body = "".join("<tr>" + "".join(f"<td{' class=l' if i < left else ''}>{c}</td>" for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<div class='scroll'><table class='{cls}'><tr>{th}</tr>{body}</table></div>"


def _series(report: dict) -> list[tuple[dict, dict]]:
    """(device result, config result) of every configuration, devices in order."""
    return [(d, c) for d in report.get("devices") or [] if d for c in d.get("configs") or []]


def _label(dev: dict, c: dict, many: bool) -> str:
    return f"{dev['device']['name']} · {c.get('label', '?')}" if many else str(c.get("label", "?"))


def _state(c: dict) -> str:
    """A configuration's completeness as a short HTML tag ('' when complete)."""
    if c.get("error"):
        return " <span class='tag' style='background:#b00'>failed</span>"
    if c.get("incomplete") or c.get("status") in ("partial", "incomplete"):
        return " <span class='tag' style='background:#d39e00'>incomplete</span>"
    return ""


def _memory_cell(c: dict) -> str:
    mem = c.get("memory") or {}
    if mem.get("peak_rss_bytes"):
        return units.size_bytes(mem["peak_rss_bytes"])
    if mem.get("arena_bytes"):
        return f"arena {units.size_bytes(mem['arena_bytes'])}"
    return "—"


def _summary(report: dict, many: bool) -> str:
    heads = ["configuration", "median", "p90", "p99", "runs", "load", "first inference", "peak RSS",
             "energy / inference"]
    rows = []
    for dev, c in _series(report):
        st = c.get("steady") or {}
        en = c.get("energy") or {}
        rows.append([_e(_label(dev, c, many)) + _state(c), units.duration_ms(st.get("median")),
                     units.duration_ms(st.get("p90")), units.duration_ms(st.get("p99")),
                     str(st.get("count") or "—"), units.duration_ms(c.get("load_ms")),
                     units.duration_ms(c.get("first_inference_ms")), _memory_cell(c),
                     units.energy_uj(en.get("energy_per_inference_uj"))])
    return _table(heads, rows)


def _comparison(cmp: dict) -> str:
    b = cmp["baseline"]
    out = [f"<h2>Compared with the baseline</h2><p>baseline <code>{_e(b.get('path') or 'profile')}</code> "
           f"({_e(b.get('created') or 'undated')}); "
           + ("same model" if cmp["same_model"] else f"<b>a different model</b> ({_e(b.get('model_path'))})")
           + f". <span class='muted small'>{_e(cmp['method'])}.</span></p>"]
    crossed = cmp.get("crossed") or []
    if crossed:
        out.append("<p class='err'><b>regression gate crossed</b>: " + "; ".join(
            f"{_e(r['gate'])} on {_e(r['device'])} · {_e(r['config'])}" for r in crossed) + "</p>")
    heads = ["configuration", "runs (baseline / now)"] + [f"{m}: baseline → now<br><span class='small muted'>"
                                                           "change (95 % CI)</span>" for m in SHOWN]
    rows = []
    for r in cmp["rows"]:
        ch = r["changes"]
        cells = []
        for m in SHOWN:
            x = ch.get(m)
            if not x:
                cells.append("—")
                continue
            cls = ("bad" if x["relative"] > 0 else "good") if x["significant"] else "muted"
            cells.append(f"{units.duration_ms(x['base'])} → {units.duration_ms(x['current'])}<br>"
                         f"<span class='{cls}'>{units.signed_percent(x['relative'])}</span> "
                         f"<span class='small muted'>({units.signed_percent(x['relative_ci'][0])} … "
                         f"{units.signed_percent(x['relative_ci'][1])})</span>")
        rows.append([_e(f"{r['device']} · {r['config']}"), f"{r['n'][0]} / {r['n'][1]}", *cells])
    out.append(_table(heads, rows))
    if cmp["gates"]:
        specs = {g["text"]: g for g in cmp.get("gate_specs") or []}
        grows = []
        for r in cmp["gates"]:
            if not r["evaluated"]:
                grows.append([_e(r["gate"]), _e(f"{r['device']} · {r['config']}"), "—", "—", "—",
                              f"<span class='muted'>not evaluated: {_e(r['why'])}</span>"])
                continue
            metric = specs[r["gate"]]["metric"]
            verdict = ("<span class='bad'>CROSSED</span>" if r["crossed"] else
                       "<span class='good'>ok</span>" + ("" if r["significant"] is not False
                                                         else " <span class='muted'>(not significant)</span>"))
            grows.append([_e(r["gate"]), _e(f"{r['device']} · {r['config']}"), format_value(metric, r["base"]),
                          format_value(metric, r["current"]), _e(format_gate_change(r, specs[r["gate"]]["relative"])),
                          verdict])
        out.append("<h3>Gates</h3>" + _table(["gate", "configuration", "baseline", "now", "change", "verdict"],
                                              grows, left=2))
    box_rows = []
    for i, r in enumerate(cmp["rows"]):
        col = svg.COLORS[i % len(svg.COLORS)]
        box_rows.append({"label": f"{r['device']} · {r['config']}", "box": r["current_box"], "color": col})
        box_rows.append({"label": "  baseline", "box": r["baseline_box"], "baseline": True})
    out.append("<h3>Side by side: steady-state latency, now and baseline (grey, dashed)</h3>" + svg.box_plot(box_rows))
    for k in cmp.get("only_in_current") or []:
        out.append(f"<p class='muted'>{_e(k)}: not in the baseline</p>")
    for k in cmp.get("only_in_baseline") or []:
        out.append(f"<p class='muted'>{_e(k)}: in the baseline only</p>")
    return "".join(out)


def _box_rows(series: list[tuple[dict, dict]], many: bool) -> list[dict]:
    rows = []
    for i, (dev, c) in enumerate(series):
        st = c.get("steady") or {}
        s = sorted(st.get("samples_ms") or [])
        if not s:
            continue
        q = lambda p: s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]  # noqa: E731
        rows.append({"label": _label(dev, c, many), "color": svg.COLORS[i % len(svg.COLORS)],
                     "box": [st.get("p5", q(5)), q(25), st.get("median", q(50)), q(75), st.get("p95", q(95))]})
    return rows


def _energy(series: list[tuple[dict, dict]], many: bool) -> str:
    rows, chart = [], []
    reasons = set()
    for dev, c, en in [(d, c, c.get(k) or {}) for d, c in series for k in ("energy", "gpu_energy") if k in c]:
        if en.get("energy_per_inference_uj") is None:
            if en.get("reason"):
                reasons.add(en["reason"])
            continue
        m = en.get("meter") or {}
        lab = _label(dev, c, many) + (" (GPU board, NVML)" if m.get("meter") == "nvml" else "")
        rows.append([_e(lab), _e(m.get("meter", "?")), units.energy_uj(en["energy_per_inference_uj"]),
                     units.energy_uj(en.get("marginal_energy_per_inference_uj")), units.power_mw(en.get("idle_power_mw")),
                     units.power_mw(en.get("busy_power_mw")), str(en.get("inferences", "—")),
                     units.duration_ms((en.get("window_s") or 0) * 1e3)])
        chart.append((lab, en["energy_per_inference_uj"], "#1f77b4"))
        chart.append(("  idle-subtracted", en.get("marginal_energy_per_inference_uj"), "#ff7f0e"))
    out = ["<h2>Energy per inference</h2>"]
    if rows:
        out.append(svg.bars(chart, units.energy_uj, title="energy per inference: whole device (blue) and "
                                                            "idle-subtracted (orange)"))
        out.append(_table(["configuration", "meter", "whole device", "idle-subtracted", "idle power", "busy power",
                           "inferences", "window"], rows, left=2))
        out.append("<p class='muted small'>whole device: the meter's energy over the inference window divided by "
                   "the inferences in it; idle-subtracted: the idle power measured just before, over the same "
                   "duration, taken off first.</p>")
    else:
        out.append("<p class='muted'>no energy figures: no meter was available.</p>")
    for r in sorted(reasons):
        out.append(f"<p class='muted small'>no meter: {_e(r)}</p>")
    return "".join(out)


def _layer_names(report: dict) -> dict[int, str]:
    return {o["node"]: o.get("layer") or "" for o in (report.get("model") or {}).get("ops") or []}


def _placement(cfgs: list[dict], layers: dict[int, str]) -> str:
    placed = [c for c in cfgs if (c.get("placement") or {}).get("available")]
    if not placed:
        return ""
    out = ["<h3>Where each node ran</h3>"]
    for c in placed:
        p = c["placement"]
        counts = ", ".join(f"{n} on {_e(k)}" for k, n in sorted(p["counts"].items(), key=lambda kv: -kv[1]))
        declined = [n for n in p["nodes"] if n.get("declined")]
        rep = p.get("claim_report") or {}
        st = c.get("delegate_start") or {}
        start = ("; program compiled at load: cold start" if st.get("cold") else
                 "; context and program shared with another delegate: warm start" if st.get("reused") else
                 "; program from edgeq's cache: warm start") if st else ""
        if st.get("startup_ms"):
            start += "; start " + start_split(st["startup_ms"], c.get("load_ms"), c.get("first_inference_ms"))
        extra = (f" <span class='muted small'>(OpenCL device: {_e(rep['device'])}, {_e(rep.get('device_type', '?'))}"
                 f", on {_e(rep.get('platform', '?'))}{start})</span>") if rep.get("device") else ""
        out.append(f"<p><b>{_e(c['label'])}</b>: {counts}{extra}"
                   + (f"; <span class='bad'>{len(declined)} fell back</span>" if declined else "") + "</p>")
    nodes = sorted({n["node"] for c in placed for n in c["placement"]["nodes"]})
    ops = {n["node"]: n["op"] for c in placed for n in c["placement"]["nodes"]}
    where = {(c["label"], n["node"]): n for c in placed for n in c["placement"]["nodes"]}
    # fallbacks grouped by configuration, op, place and reason: a big model repeats the same few reasons
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for c in placed:
        for n in c["placement"]["nodes"]:
            if n.get("declined"):
                groups.setdefault((c["label"], n["op"], n["ran_on"], n["declined"]), []).append(n["node"])
    number = {k: i + 1 for i, k in enumerate(groups)}
    rows = []
    for i in nodes:
        cells = [str(i), _e(ops.get(i, "?")), _e(layers.get(i, ""))]
        for c in placed:
            n = where.get((c["label"], i))
            if not n:
                cells.append("—")
                continue
            col = PLACE_COLORS.get(n["ran_on"], "#444")
            mark = (f"<sup>{number[(c['label'], n['op'], n['ran_on'], n['declined'])]}</sup>"
                    if n.get("declined") else "")
            cells.append(f"<span class='tag' style='background:{col}'>{_e(n['ran_on'])}</span>{mark}")
        rows.append(cells)
    table = _table(["node", "op", "layer"] + [_e(c["label"]) for c in placed], rows, left=3)
    if len(nodes) > 40:
        table = f"<details><summary>all {len(nodes)} nodes, where each ran</summary>{table}</details>"
    if groups:
        items = []
        for (lab, op, ran_on, why), ids in groups.items():
            if len(ids) == 1:
                what = f"node {ids[0]} {op}" + (f" ({layers[ids[0]]})" if layers.get(ids[0]) else "")
            else:
                what = f"{len(ids)} {op} nodes ({', '.join(str(i) for i in ids[:12])}{', …' if len(ids) > 12 else ''})"
            items.append(f"<li><b>{_e(lab)}</b>: {_e(what)} ran on {_e(ran_on)}: {_e(why)}</li>")
        out.append("<p class='small'><b>What the delegates left, and why</b> (numbers as in the table):</p>"
                   "<ol class='small'>" + "".join(items) + "</ol>")
    out.append(table)
    return "".join(out)


def _op_profile(cfgs: list[dict], layers: dict[int, str]) -> str:
    """Per-op times where the configuration's delegate delivered them (``op_profile.nodes``)."""
    out = []
    missing = []
    for c in cfgs:
        op = c.get("op_profile") or {}
        nodes = op.get("nodes") or []
        if not op.get("available") or not nodes:
            if op.get("reason"):
                missing.append((c.get("label"), op["reason"]))
            continue
        total = sum(float(n.get("ms") or 0) for n in nodes) or 1e-12
        by_op: dict[str, list[float]] = {}
        for n in nodes:
            by_op.setdefault(n.get("op", "?"), []).append(float(n.get("ms") or 0))
        rows = [[_e(k), str(len(v)), units.duration_ms(sum(v)), f"{100 * sum(v) / total:.1f} %"]
                for k, v in sorted(by_op.items(), key=lambda kv: -sum(kv[1]))]
        median = (c.get("steady") or {}).get("median")
        cover = (f"; the timed ops add up to {units.duration_ms(total)} per inference"
                 + (f", {100 * total / median:.0f} % of the steady-state median" if median else "")) if total else ""
        out.append(f"<h3>Per-op time: {_e(c['label'])}</h3><p class='muted small'>source: "
                   f"{_e(op.get('source', '?'))}, mean per inference over {_e(op.get('invokes', '?'))} "
                   f"inferences{_e(cover)}</p>")
        chart = [(k, sum(v), svg.COLORS[i % len(svg.COLORS)]) for i, (k, v) in
                 enumerate(sorted(by_op.items(), key=lambda kv: -sum(kv[1])))]
        out.append(svg.bars(chart, units.duration_ms, title="time per op type per inference"))
        out.append(_table(["op type", "nodes", "time / inference", "share"], rows))
        top = sorted(nodes, key=lambda n: -float(n.get("ms") or 0))[:15]
        nrows = [[str(n.get("node")), _e(layers.get(n.get("node"), n.get("name", ""))), _e(n.get("op", "?")),
                  units.duration_ms(n.get("ms")), f"{100 * float(n.get('ms') or 0) / total:.1f} %"] for n in top]
        out.append(f"<details><summary>the {len(top)} slowest nodes, by layer</summary>"
                   + _table(["node", "layer", "op", "time / inference", "share"], nrows, left=3) + "</details>")
    if missing:
        out.append("<h3>Per-op time</h3>" if not out else "")
        out.append("<p class='muted small'>no per-op times for:</p><ul class='muted small'>"
                   + "".join(f"<li>{_e(lab)}: {_e(why)}</li>" for lab, why in missing) + "</ul>")
    return "".join(out)


def _memory(cfgs: list[dict]) -> str:
    rows = []
    mcu = False
    for c in cfgs:
        m = c.get("memory") or {}
        if "arena_bytes" in m:
            mcu = True
            rows.append([_e(c["label"]), "—", "—", "—", "—", "—",
                         f"{units.size_bytes(m.get('arena_bytes'))} of {units.size_bytes(m.get('ram_bytes'))} RAM; "
                         f"model {units.size_bytes(m.get('flash_model_bytes'))} of "
                         f"{units.size_bytes(m.get('flash_bytes'))} flash"])
        elif m.get("available"):
            rows.append([_e(c["label"]), units.size_bytes(m.get("peak_rss_bytes")),
                         units.size_bytes(m.get("rss_before_load_bytes")), units.size_bytes(m.get("load_growth_bytes")),
                         units.size_bytes(m.get("inference_growth_bytes")), units.size_bytes(m.get("pss_bytes")), "—"])
        else:
            rows.append([_e(c.get("label")), f"<span class='muted'>{_e(m.get('reason', 'not measured'))}</span>",
                         "", "", "", "", ""])
    if not rows:
        return ""
    heads = ["configuration", "peak RSS", "RSS before load", "growth over load", "growth in inference", "PSS",
             "arena (MCU)"]
    if not mcu:
        heads, rows = heads[:-1], [r[:-1] for r in rows]
    terms = MEMORY_TERMS if mcu else MEMORY_TERMS[:-1]
    return ("<h3>Memory</h3>" + _table(heads, rows) + "<details><summary>what each memory figure is</summary><dl "
            "class='small'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in terms) + "</dl></details>")


def _all_stats(cfgs: list[dict]) -> str:
    keys = ("mean", "std", "min", "p5", "median", "p90", "p95", "p99", "max")
    rows = []
    for c in cfgs:
        st = c.get("steady") or {}
        rows.append([_e(c.get("label"))] + [units.duration_ms(st.get(k)) for k in keys]
                    + [str(st.get("count") or "—"), _e(st.get("stop", "—"))])
    return ("<details><summary>every statistic of the steady state</summary>"
            + _table(["configuration", *keys, "runs", "stopped on"], rows) + "</details>")


def _device(report: dict, dev: dict, color_base: int, layers: dict[int, str]) -> str:
    d = dev["device"]
    out = [f"<h2>{_e(d['name'])} <span class='muted small'>{_e(d.get('uri'))} · {_e(d.get('class'))}</span></h2>"]
    if dev.get("emulated"):
        out.append(f"<p class='warn'>{_e(dev.get('notice'))}</p>")
    status = dev.get("status")
    wall = units.duration_ms((dev.get("wall_s") or 0) * 1e3) if dev.get("wall_s") is not None else "—"
    out.append(f"<p>status: <b>{_e(status)}</b>, wall time {wall}</p>")
    if dev.get("error"):
        out.append(f"<p class='err'>{_e(dev['error'])}"
                   + (" — partial results below are kept" if dev.get("configs") else "") + "</p>")
    env = (dev.get("environment") or {}).get("before") or {}
    if env:
        facts = []
        for k, v in env.items():
            if v in (None, "", []):
                continue
            if k == "thermal_c" and isinstance(v, dict):
                v = ", ".join(f"{z} {t:.1f} °C" for z, t in v.items())
            elif k == "affinity" and isinstance(v, list):
                v = ",".join(str(x) for x in v)
            facts.append(f"{_e(k)}: {_e(v)}")
        out.append("<p class='muted small'>" + " · ".join(facts) + "</p>")
    cfgs = dev.get("configs") or []
    if not cfgs:
        return "".join(out)
    labels = [c.get("label", "?") for c in cfgs]
    if dev.get("timeline"):
        out.append("<h3>Timeline of the phases</h3>" + svg.timeline(dev["timeline"], labels))
    prow = []
    for c in cfgs:
        w, st = c.get("warmup") or {}, c.get("steady") or {}
        ran = lambda ph: (f"{ph['count']} runs, {units.duration_ms(sum(ph.get('samples_ms') or []))}"  # noqa: E731
                          if ph.get("count") else "—")
        prow.append([_e(c.get("label")) + _state(c), units.duration_ms(c.get("load_ms")),
                     units.duration_ms(c.get("first_inference_ms")), ran(w), ran(st)])
    out.append(_table(["configuration", "load", "first inference", "warm-up", "steady state (time in invoke)"], prow))
    errs = [(c.get("label"), c["error"]) for c in cfgs if c.get("error")]
    for lab, e in errs:
        out.append(f"<p class='err'>{_e(lab)}: {_e(e)}</p>")
    out.append("<h3>Steady-state latency: histogram between p1 and p99</h3><div>")
    for i, c in enumerate(cfgs):
        s = (c.get("steady") or {}).get("samples_ms") or []
        if s:
            out.append(f"<figure>{svg.histogram(s, svg.COLORS[(color_base + i) % len(svg.COLORS)])}"
                       f"<figcaption>{_e(c.get('label'))}</figcaption></figure>")
    out.append("</div>")
    out.append(_placement(cfgs, layers))
    out.append(_op_profile(cfgs, layers))
    out.append(_memory(cfgs))
    out.append(_all_stats(cfgs))
    return "".join(out)


def render_html(report: dict) -> str:
    """The whole report page for a profile dict (as written to profile.json)."""
    series = _series(report)
    devs = [d for d in report.get("devices") or [] if d]
    many = len(devs) > 1
    m = report.get("model") or {}
    name = os.path.basename(str(m.get("path") or "model"))
    body = [f"<h1>edgeq profile: {_e(name)}</h1>",
            f"<p class='muted'>{_e(m.get('path'))} · {units.size_bytes(m.get('bytes'))} · sha256 "
            f"{_e(str(m.get('sha256'))[:16])}… · created {_e(report.get('created'))}</p>"]
    if any(d.get("emulated") for d in devs):
        body.append("<p class='warn'>This report includes emulated devices: their timings are not hardware "
                    "timings.</p>")
    for d in devs:
        if d.get("status") != "ok":
            body.append(f"<p class='err'><b>{_e(d['device']['name'])}: {_e(d.get('status'))}</b> — "
                        f"{_e(d.get('error') or 'no reason given')}"
                        + (" (results measured before it are kept)" if d.get("configs") else "") + "</p>")
    if report.get("comparison"):
        body.append(_comparison(report["comparison"]))
    body.append("<h2>Summary</h2>" + _summary(report, many))
    body.append("<h2>Steady-state latency, all configurations on one axis</h2>"
                "<p class='muted small'>box p25–p75, whiskers p5–p95, black bar and figure: median</p>"
                + svg.box_plot(_box_rows(series, many)))
    body.append(_energy(series, many))
    layers = _layer_names(report)
    n = 0
    for dev in devs:
        body.append(_device(report, dev, n, layers))
        n += len(dev.get("configs") or [])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>edgeq profile: {_e(name)}</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
