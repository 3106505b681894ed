"""Human-readable text for conversion reports and model summaries, and the JSON the ``--json`` flags print."""
from __future__ import annotations

import json
import math


def to_json(obj: dict) -> str:
    """A report dict as printed by ``--json`` (NaN and infinities as JSON's extended literals)."""
    return json.dumps(obj, indent=2, default=str, allow_nan=True)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _quant(q: dict | None) -> str:
    if not q:
        return "float"
    if q.get("per_channel"):
        return f"per-channel x{q['channels']} (axis {q['axis']})"
    return f"scale {q['scale']:.6g} zp {q['zero_point']}"


def _io_lines(title: str, tensors: list[dict]) -> list[str]:
    out = [f"{title}:"]
    for t in tensors:
        out.append(f"  {t['name']:<32} {t['type']:<7} {str(t['shape']):<16} {_quant(t['quantization'])}")
    return out


def _op_lines(ops: list[dict], limit: int | None = None) -> list[str]:
    out = [f"  {'#':>3}  {'op':<22} {'layer':<28} {'inputs':<34} outputs"]
    shown = ops if limit is None else ops[:limit]
    for o in shown:
        mark = "" if o["integer"] else "   <- not integer"
        out.append(f"  {o['index']:>3}  {o['op']:<22} {o['layer'][:28]:<28} "
                   f"{','.join(o['inputs'])[:34]:<34} {','.join(o['outputs'])}{mark}")
    if limit is not None and len(ops) > limit:
        out.append(f"  ... {len(ops) - limit} more (use --json for all)")
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _db(x: float) -> str:
    return "inf (identical)" if math.isinf(x) and x > 0 else f"{x:.1f} dB"


#: the kernels that computed an evaluation (its runtime's "path"), in words after the runtime's name
PATH_WORDS = {"xnnpack": "on XNNPACK, its default path", "builtin": "on its builtin kernels",
              "reference": "on its reference kernels"}


def evaluation_lines(ev: dict) -> list[str]:
    rt = ev["runtime"]
    ran = " ".join(str(v) for v in (rt.get("runtime"), rt.get("version"), PATH_WORDS.get(rt.get("path") or "")) if v)
    out = [f"evaluation on {ev['samples']} samples ({ran}):"]
    for o in ev["outputs"]:
        parts = []
        if "top1_agreement" in o:
            parts.append(f"top-1 agreement {_pct(o['top1_agreement'])}")
        if "float_accuracy" in o:
            parts.append(f"accuracy float {_pct(o['float_accuracy'])} -> int8 {_pct(o['quant_accuracy'])} "
                         f"({-o['accuracy_drop_points']:+.1f} pt)")
        parts.append(f"SQNR {_db(o['sqnr_db'])}")
        if o.get("kind", "class") != "class":
            lo, hi = o["value_range"]
            span = hi - lo
            judged = (o.get("verdict") or {}).get("ok", True) is not None  # a flat output: no share of its range
            rel = (f" = {100 * o['mean_abs_error'] / span:.2g}% of its {lo:.3g}..{hi:.3g} range"
                   if span > 0 and judged else f", range {lo:.3g}..{hi:.3g}")
            parts.append(f"mean |err| {o['mean_abs_error']:.4g}{rel}, p99 {o['p99_abs_error']:.4g}")
            parts.append(f"cosine mean {o['cosine_mean']:.4f} (min {o['cosine_min']:.4f})")
        else:
            parts.append(f"max |err| {o['max_abs_error']:.4g}")
        v = o.get("verdict")
        mark = "" if v is None else ("  not judged (constant on this data)" if v["ok"] is None else
                                     "  ok" if v["ok"] else "  POOR")
        out.append(f"  {o['name']}: " + ", ".join(parts) + mark)
    return out


#: the float-graph changes of report["graph_rewrites"] (name -> how many), in words with their count; the line said
#: "cross layer equalization pairs" with no number
REWRITE_WORDS = {"cross_layer_equalization_pairs": "cross-layer equalization on {n} pair{s}",
                 "weight_clipping_layers": "weight clipping on {n} layer{s}"}


def _rewrite_words(key: str, n: object) -> str:
    if not isinstance(n, int) or isinstance(n, bool):
        return key.replace("_", " ")
    if key in REWRITE_WORDS:
        return REWRITE_WORDS[key].format(n=n, s="" if n == 1 else "s")
    return f"{key.replace('_', ' ')} x{n}"  # an exact rewrite: how many ops it changed


def format_conversion(report: dict, output: str | None = None, op_limit: int | None = 40) -> str:
    src, sizes, cal, model = report["source"], report["sizes"], report["calibration"], report["model"]
    lines = [f"converted {src['path']} ({src['kind']}, sha256 {src['sha256'][:12]}) -> {output or '<memory>'} "
             f"in {report.get('seconds', 0):.1f} s"]
    assumed = src.get("inputs_assumed")
    if assumed:
        lines.append(f"inputs: {assumed['layout'].upper()} ({assumed['why']}; calibration data follows it), "
                     f"normalization {assumed['normalize']}")
    read_as = cal.get("read_as") or {}
    how = ", ".join(f"{k} {v}" for k, v in read_as.items()
                    if k not in ("format", "inferred", "classes", "defaulted", "normalize_why"))
    inferred = read_as.get("inferred")
    prep = src.get("prepared") or {}
    if prep:  # it was in no line: a user could not tell the fp16 weights or mediapipe's ops had been handled
        folded = prep.get("folded") or {}
        kinds = {"dequantize": "weight tensors behind DEQUANTIZE (fp16 or int8)",
                 "densify": "sparse weight tensors behind DENSIFY"}
        what = ([f"{n} {kinds.get(k, k)} folded into float32" for k, n in folded.items() if n]
                + [f"custom op {code} x{n} decomposed into builtins"
                   for code, n in (prep.get("decomposed") or {}).items()])
        lines.append("model as shipped: " + ", ".join(what))
    extras = [_rewrite_words(k, n) for k, n in (report.get("graph_rewrites") or {}).items()]
    if report.get("bias_correction"):
        extras.append(f"bias correction on {report['bias_correction']} layers")
    if extras:
        lines.append("improvements: " + ", ".join(extras))
    lines.append(f"calibration: {cal['method']} on {cal['samples']} samples from {cal['data']} "
                 f"({read_as.get('format', '?')}{': ' + how if how else ''})"
                 + (f"; inferred from the model: {', '.join(inferred)}" if inferred else ""))
    if cal.get("auto_scores_db"):
        test = cal.get("auto_test")
        verdict = ""
        if test:
            n = test["ahead"] + test["behind"]
            verdict = (f"; {test['best']} beats tf-recipe (minmax, no equalization) sample by sample: ahead on "
                       f"{test['ahead']} of the {n} samples that differ (sign test p {test['p']:.3f} <= {test['needs']:g})"
                       if test["p"] <= test["needs"] else
                       f"; {test['best']} kept: no held-out sample tells it from tf-recipe (minmax, no equalization)"
                       if n == 0 else
                       f"; tf-recipe (minmax, no equalization) kept: {test['best']} ahead of it on {test['ahead']} of "
                       f"the {n} samples that differ (sign test p {test['p']:.3f} > {test['needs']:g})")
        bias = (test or {}).get("bias_correction") or {}
        if bias.get("layers"):
            n = bias["ahead"] + bias["behind"]
            verdict += (f"; bias correction on those ranges {'kept' if bias['p'] <= bias['needs'] else 'not kept'}: "
                        f"ahead on {bias['ahead']} of the {n} samples that differ (sign test p {bias['p']:.3f} "
                        f"{'<=' if bias['p'] <= bias['needs'] else '>'} {bias['needs']:g})")
        lines.append("  chosen by --calibration auto on held-out calibration samples (mean output SQNR): "
                     + ", ".join(f"{k} {v:.1f} dB" for k, v in cal["auto_scores_db"].items()) + verdict)
    if read_as.get("normalize_why"):
        lines.append(f"  pixels scaled {read_as['normalize']} because {read_as['normalize_why']}")
    if "normalize" in (read_as.get("defaulted") or []):
        lines.append(f"  pixels scaled {read_as['normalize']}: edgeq's default, the model does not say what it expects; "
                     "pass --normalize -1..1 or 0..255 if it was trained on other values")
    lines.append(f"size: float {human_bytes(sizes['float_tflite_bytes'])} -> integer {human_bytes(sizes['quant_bytes'])} "
                 + (f"({sizes['compression']:.2f}x smaller)" if sizes["compression"] >= 1
                    # a tiny model: the manifest and quantization parameters outweigh what int8 weights save
                    else f"({1 / sizes['compression']:.2f}x larger: the manifest and quantization parameters outweigh "
                         "what int8 weights save on a model this small)")
                 + f"; weights {report['weights']}, I/O {report['io']}")
    wb = model["weight_bytes_by_type"]
    lines.append("weight bytes by type: " + ", ".join(f"{k} {human_bytes(v)}" for k, v in sorted(wb.items())))
    lines += _io_lines("inputs", model["inputs"]) + _io_lines("outputs", model["outputs"])
    counts = ", ".join(f"{k} x{v}" for k, v in model["op_counts"].items())
    if report.get("dynamic_range") is not None:
        status = "NOT fully integer: dynamic range, activations float at run time, excluded from the integer check"
    else:
        status = "all integer" if model["fully_integer"] else f"{len(model['non_integer_ops'])} kept float (--allow-float)"
    lines.append(f"ops: {len(model['ops'])} ({status}): {counts}")
    lines += _op_lines(model["ops"], op_limit)
    if report.get("evaluation"):
        lines += evaluation_lines(report["evaluation"])
    q = report.get("qat")
    if q:
        lines.append(f"quantization-aware training record: {q['ranges_applied']} of {q['ranges_recorded']} activation "
                     f"ranges fixed as trained, weights {q['weights']}, calibration {q['calibration']} "
                     "(no equalization or weight clipping: the trained weights stay on their grid)")
    if report.get("int4"):
        from .int4.transform import format_report

        lines.append(format_report(report["int4"]))
    for w in report.get("warnings") or []:
        lines.append(f"WARNING: {w}")
    b = report.get("budget")
    if b:
        goal = []
        if b.get("max_drop_points") is not None:
            goal.append(f"drop <= {b['max_drop_points']:.2f} pt")
        if b.get("min_sqnr_db") is not None:
            goal.append(f"SQNR >= {b['min_sqnr_db']:g} dB")
        verdict = "met" if b["met"] else "NOT met (closest shown)"
        lines.append(f"accuracy budget {' and '.join(goal)}: {verdict} with {b['chosen']} "
                     f"({human_bytes(b['bytes'])}, {b['size_cost_bytes']:+d} bytes vs int8)")
        for t in b["trail"]:
            lines.append(f"  tried {t['step']}: {_rung_result(t)}")
    return "\n".join(lines)


def _rung_result(t: dict) -> str:
    if t.get("error") or t.get("skipped"):
        return t.get("error") or t.get("skipped")
    parts = []
    if "accuracy" in t:
        parts.append(f"accuracy {100 * t['accuracy']:.2f}%")
    if "drop_points" in t:
        parts.append(f"drop {t['drop_points']:.2f} pt")
    if math.isfinite(t.get("min_sqnr_db", math.inf)):
        parts.append(f"min SQNR {t['min_sqnr_db']:.1f} dB")
    if "cosine_mean" in t:
        parts.append(f"cosine {t['cosine_mean']:.4f}")
    parts.append(f"{human_bytes(t['bytes'])} ({t['size_vs_int8']:.3f}x int8)")
    return ", ".join(parts) + ("  <- met" if t.get("met") else "")


def format_summary(info: dict, path: str) -> str:
    lines = [f"{path}: {human_bytes(info['bytes'])}, {len(info['ops'])} ops, "
             + ("fully integer" if info["fully_integer"] else f"{len(info['non_integer_ops'])} op(s) not integer")]
    lines += _io_lines("inputs", info["inputs"]) + _io_lines("outputs", info["outputs"])
    wb = info["weight_bytes_by_type"]
    lines.append("weight bytes by type: " + (", ".join(f"{k} {human_bytes(v)}" for k, v in sorted(wb.items())) or "none"))
    lines.append("op counts: " + ", ".join(f"{k} x{v}" for k, v in info["op_counts"].items()))
    lines += _op_lines(info["ops"])
    if info["non_integer_ops"]:
        lines.append("not integer:")
        for o in info["non_integer_ops"]:
            lines.append(f"  - #{o['index']} {o['op']} in '{o['layer']}': {o['reason']}")
    if info.get("metadata"):
        lines.append("metadata: " + ", ".join(info["metadata"]))
    man = info.get("manifest")
    if man:
        try:
            lines += _manifest_lines(man)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            # the manifest comes from the file: a damaged one is reported, not trusted
            lines.append("manifest: present but damaged (not the layout edgeq writes): convert again to restore it")
    return "\n".join(lines)


def _manifest_lines(man: dict) -> list[str]:
    cal = man["calibration_data"]
    lines = [f"made by edgeq {man['versions'].get('edgeq', '?')} from {man['source']['name']} "
             f"({man['source']['kind']}, sha256 {man['source']['sha256'][:12]}), "
             f"calibrated on {cal['samples']} samples (sha256 {cal['sha256'][:12]})"
             + (f" with {cal['method']}" + (" (chosen by --calibration auto)"
                                             if man["recipe"].get("calibration") == "auto" else "")
                if cal.get("method") else ""),
             "  recipe: " + ", ".join(f"{k}={v}" for k, v in man["recipe"].items())]
    sm = man.get("smoothing")
    if isinstance(sm, dict) and sm.get("scales"):
        lines.append(f"  smoothed: {len(sm['scales'])} FULLY_CONNECTED input(s) divided per channel by SmoothQuant "
                     f"factors (alpha {sm.get('alpha')}) before quantization, their weights multiplied; the factors "
                     "are in the manifest (edgeq debug applies them to the float model)")
    if man.get("evaluation"):
        rt = man["evaluation"].get("runtime") or {}  # manifests before 2026-12 did not record it
        ran = ", ".join(x for x in ("at conversion", " ".join(str(v) for v in (rt.get("runtime"), rt.get("version"))
                                                               if v)) if x)
        lines += ["  " + ln for ln in evaluation_lines({**man["evaluation"],
                                                        "runtime": {"runtime": ran, "path": rt.get("path")}})]
    return lines
