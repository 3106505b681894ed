"""The edgeq demo, end to end, on this machine as the device.

train (or reuse) the digits CNN → convert to full int8 with calibration → evaluate
float vs int8 on held-out digits → run the int8 model on LiteRT (reference and
default kernels) and on TensorFlow Lite Micro and check they agree bit for bit →
profile it on this machine when the profiling harness is installed → write a
JSON and an HTML report.

    python apps/demo/main.py [--out apps/demo/out] [--retrain] [--no-profile]
"""
from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # its start-up notice is the only line TF would print
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import digits  # noqa: E402
import model as demo_model  # noqa: E402


def _step(msg: str) -> None:
    print(f"== {msg}", flush=True)


def run_everywhere(quant: bytes, x_test: np.ndarray) -> dict:
    """Run the int8 model on every interpreter we have and compare the integers they produce.

    TFLite Micro and LiteRT's builtin kernels must agree bit for bit. LiteRT's reference
    kernels can round FULLY_CONNECTED differently (±1 on some logits, which softmax amplifies),
    and XNNPACK requantizes in float: differences are reported, not hidden (``engines_note``).
    """
    from edgeq.micro import MicroInterpreter
    from edgeq.runtime import Interpreter

    engines = {name: Interpreter(quant, resolver=name) for name in ("builtin", "reference", "default")}
    xq = engines["builtin"].inputs[0].quantize(x_test)
    outs = {f"litert-{name}": np.concatenate([e.run([xq[i:i + 1]])[0] for i in range(len(xq))])
            for name, e in engines.items()}
    micro = MicroInterpreter(quant)
    outs["tflite-micro"] = np.concatenate([micro.run([xq[i:i + 1]])[0] for i in range(len(xq))])
    base = outs["litert-builtin"]
    return {
        "runtime": engines["builtin"].describe(),
        "samples": int(len(xq)),
        "micro_arena_bytes": micro.arena_size,
        "baseline": "litert-builtin",
        "identical_to_baseline": {k: bool(np.array_equal(v, base)) for k, v in outs.items()},
        "max_abs_diff": {k: int(np.abs(v.astype(int) - base.astype(int)).max()) for k, v in outs.items()},
        "samples_differing": {k: int((v != base).reshape(len(v), -1).any(1).sum()) for k, v in outs.items()},
    }


def engines_note(eng: dict) -> str:
    """What the bit-exactness table means, said of the interpreters as they came out on this run."""
    same = eng["identical_to_baseline"]
    agree = [k for k in ("tflite-micro", "litert-reference") if same.get(k)]
    parts = []
    if agree:
        parts.append(" and ".join({"tflite-micro": "TFLite Micro", "litert-reference": "LiteRT's reference kernels"}[k]
                                  for k in agree) + (" agrees" if agree == ["tflite-micro"] else " agree")
                     + " with LiteRT's builtin kernels bit for bit")
    n = eng.get("samples")

    def counts(k: str) -> str:  # what the table shows for k, in words
        d = eng["max_abs_diff"].get(k) if k in eng.get("max_abs_diff", {}) else None
        return (f" on {eng['samples_differing'][k]} of {n} samples, by up to {d} step{'' if d == 1 else 's'}"
                if n and k in eng.get("samples_differing", {}) and k in eng.get("max_abs_diff", {}) else "")
    if same.get("litert-reference") is False:
        parts.append("LiteRT's reference kernels round FULLY_CONNECTED differently from its optimized kernels "
                     "(±1 on some logits, which softmax amplifies): they differ" + counts("litert-reference"))
    if same.get("tflite-micro") is False:
        parts.append("TFLite Micro differs from LiteRT's builtin kernels, which it should not: report it with "
                     "this model")
    if "litert-default" in same:
        # the figures, not 'a few steps': the demo's XNNPACK differs by up to 13 (U10 of the README's note)
        parts.append("litert-default is XNNPACK, which requantizes in float"
                     + ((" and so differs" + (counts("litert-default") or " by a few steps"))
                        if not same["litert-default"] else ""))
    return "; ".join(parts) + "."


def profile_here(model_path: Path, out_dir: Path, options: dict | None = None) -> dict:
    """Latency and memory of the int8 model on this machine, with and without edgeq's CPU delegate."""
    from edgeq.profiling.devices import resolve_device
    from edgeq.profiling.profile import run_profile
    from edgeq.profiling.reporting.report_files import write_report
    from edgeq.profiling.reporting.units import duration_ms, size_bytes
    from edgeq.runtime import DelegateError, delegate_path

    delegates = ["none", "xnnpack"]
    try:
        delegate_path("cpu")
        delegates.append("cpu")
    except DelegateError:
        pass  # not built: profile what the runtime has
    report = run_profile(model_path, [resolve_device("local")], delegates, [1], options,
                         show_progress=sys.stderr.isatty())
    json_path, html_path = write_report(report, out_dir)
    dev = report["devices"][0]
    summary = {"report_html": str(html_path), "report_json": str(json_path), "status": dev.get("status"),
               "configs": {}}
    for cfg in dev.get("configs") or []:
        steady = cfg.get("steady") or {}
        placed = (cfg.get("placement") or {}).get("counts")
        summary["configs"][cfg.get("label") or str(cfg.get("config"))] = {
            "median_ms": steady.get("median"), "p90_ms": steady.get("p90"), "runs": steady.get("count"),
            "peak_rss_bytes": (cfg.get("memory") or {}).get("peak_rss_bytes"), "placement": placed,
            "error": cfg.get("error")}
    for name, c in summary["configs"].items():
        shown = (f"{duration_ms(c['median_ms'])} median, p90 {duration_ms(c['p90_ms'])} over {c['runs']} runs, "
                 f"peak RSS {size_bytes(c['peak_rss_bytes'])}"
                 if isinstance(c["median_ms"], (int, float)) else (c["error"] or "n/a"))
        print(f"  {name:<12} {shown}")
    print(f"  full profile: {html_path}")
    return summary


_CSS = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:20px auto;padding:0 16px;color:#222;
font-size:14px;line-height:1.45}h1{font-size:22px}h2{font-size:18px;margin-top:26px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}td,th{border:1px solid #d6d6d6;padding:3px 8px;
text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}td.w{text-align:left;word-break:break-all}
.muted{color:#666;font-size:13px}.yes{color:#070;font-weight:bold}.no{color:#b00;font-weight:bold}
.big{font-size:16px}.scroll{overflow-x:auto;max-width:100%}svg.fit{max-width:100%;height:auto}"""


def _row(cells: list[str], left: int = 1, head: bool = False, text_last: bool = False) -> str:
    """A table row; the first ``left`` cells (and the last when it is text) left-aligned."""
    tag = "th" if head else "td"
    return "<tr>" + "".join(f"<{tag}{' class=l' if i < left or (text_last and i == len(cells) - 1) else ''}>{c}</{tag}>"
                            for i, c in enumerate(cells)) + "</tr>"


def write_html(report: dict, path: Path) -> None:
    """The demo's one-page report: accuracy, size, bit-exactness across interpreters, ops, latency here."""
    from edgeq.atomic import write_text_atomic
    from edgeq.profiling.reporting.units import duration_ms, size_bytes
    from edgeq.report import PATH_WORDS

    e = html.escape
    ev = report["conversion"]["evaluation"]["outputs"][0]
    rt = report["conversion"]["evaluation"].get("runtime") or {}  # which kernels computed these (XNNPACK by default)
    ran = " ".join(str(v) for v in (rt.get("runtime"), rt.get("version"), PATH_WORDS.get(rt.get("path") or "")) if v)
    eng = report["engines"]
    s = report["conversion"]["sizes"]
    fb, qb = s["float_tflite_bytes"], s["quant_bytes"]
    same = "".join(_row([e(k), f"<span class='{'yes' if v else 'no'}'>{'yes' if v else 'no'}</span>",
                         str(eng["max_abs_diff"][k]), f"{eng['samples_differing'][k]} of {eng['samples']}"])
                   for k, v in eng["identical_to_baseline"].items())
    ops = "".join(_row([str(o["index"]), e(o["op"]), e(o["layer"]), e(", ".join(o["inputs"])),
                        e(", ".join(o["outputs"]))], left=5)
                  for o in report["conversion"]["model"]["ops"])
    bar_w = 300
    # scales down on a narrow screen (a phone's 390 px): the page never scrolls sideways
    svg = (f'<svg class="fit" width="{bar_w + 190}" height="58" viewBox="0 0 {bar_w + 190} 58" role="img" '
           f'font-family="system-ui,sans-serif">'
           f'<title>model size</title><rect x="60" y="5" width="{bar_w}" height="20" fill="#999"/>'
           f'<text x="0" y="20" font-size="12">float32</text><text x="{bar_w + 66}" y="20" font-size="12">'
           f'{size_bytes(fb)}</text><rect x="60" y="32" width="{bar_w * qb / fb:.1f}" height="20" fill="#2a7"/>'
           f'<text x="0" y="47" font-size="12">int8</text><text x="{bar_w * qb / fb + 66:.1f}" y="47" '
           f'font-size="12">{size_bytes(qb)}</text></svg>')
    prof = report.get("profile")
    if prof:
        rows = []
        for k, v in prof["configs"].items():
            placed = ", ".join(f"{n} on {where}" for where, n in (v.get("placement") or {}).items()) or "—"
            if v["median_ms"] is None:
                rows.append(_row([e(k), f"<span class='no'>{e(v['error'] or 'not measured')}</span>", "", "", "", ""]))
                continue
            rows.append(_row([e(k), duration_ms(v["median_ms"]), duration_ms(v["p90_ms"]), str(v["runs"]),
                              size_bytes(v["peak_rss_bytes"]), e(placed)], text_last=True))
        prof_html = ("<h2>Latency on this machine</h2><div class='scroll'><table>"
                     + _row(["configuration", "median", "p90", "runs", "peak RSS", "where the nodes ran"], head=True,
                            text_last=True)
                     + "".join(rows) + "</table></div><p class='muted'>peak RSS: the highest resident set size of a fresh "
                     "process that loaded the model and ran it (what top calls RES). Full profile, with histograms "
                     "and the phase timeline: <a href=\"profile/report.html\">profile/report.html</a></p>")
    else:
        prof_html = "<p>No latency measured.</p>"
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>edgeq demo report</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head><body>
<h1>edgeq demo: digits CNN, float32 → int8</h1>
<p class="big">Held-out accuracy: float <b>{100 * ev['float_accuracy']:.1f} %</b>, int8
<b>{100 * ev['quant_accuracy']:.1f} %</b> ({-ev['accuracy_drop_points']:+.1f} points); top-1 agreement
{100 * ev['top1_agreement']:.1f} %; output SQNR {ev['sqnr_db']:.1f} dB on
{report['conversion']['evaluation']['samples']} test images{f" (float and int8 run by {e(ran)})" if ran else ""}.</p>
<h2>Size</h2><p>{size_bytes(fb)} → {size_bytes(qb)} ({s['compression']:.2f}× smaller)</p>{svg}
<h2>Same integers on LiteRT and TFLite Micro</h2><div class='scroll'><table>
{_row(["interpreter", "identical to LiteRT builtin", "max |diff|", "samples differing"], head=True)}{same}</table></div>
<p class="muted">{e(engines_note(eng))}</p>
{prof_html}
<h2>Ops</h2><div class='scroll'><table>{_row(["#", "op", "layer", "inputs", "outputs"], left=5, head=True)}{ops}</table></div>
</body></html>"""
    write_text_atomic(path, page)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--retrain", action="store_true", help="train again even if out/digits.keras exists")
    ap.add_argument("--no-profile", action="store_true", help="skip the latency profile (the only figures that "
                                                                "vary from run to run)")
    args = ap.parse_args(argv)
    import edgeq
    from edgeq.atomic import write_text_atomic
    from edgeq.report import format_conversion

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    keras_path = out / "digits.keras"
    if args.retrain or not keras_path.exists():
        _step("training the digits CNN (sklearn's UCI digits, 8x8)")
        demo_model.train(keras_path)
    else:
        _step(f"reusing {keras_path}")
    paths = digits.write_npz(out)

    _step("converting to full int8 (calibration: 200 training images)")
    result = edgeq.convert(keras_path, paths["calib"], eval_data=paths["test"])
    quant_path = result.save(out / "digits_int8.tflite")
    print(format_conversion(result.report, str(quant_path), op_limit=20))

    _step("running the int8 model on LiteRT (reference, builtin, default) and TFLite Micro")
    x_test, _ = digits.load_splits()["test"]
    engines = run_everywhere(result.model, x_test)
    for k, v in engines["identical_to_baseline"].items():
        print(f"  {k:<18} identical to LiteRT builtin: {'yes' if v else 'no '} "
              f"(max |diff| {engines['max_abs_diff'][k]}, {engines['samples_differing'][k]} of "
              f"{engines['samples']} samples differ)")

    report = {"conversion": result.report, "engines": engines, "profile": None}
    if not args.no_profile:
        _step("profiling on this machine (the device here is 'local')")
        report["profile"] = profile_here(quant_path, out / "profile")
    report["seconds"] = round(time.perf_counter() - t0, 1)
    write_text_atomic(out / "report.json", json.dumps(report, indent=2, default=str))
    write_html(report, out / "report.html")
    _step(f"done in {report['seconds']} s: {out / 'report.json'}, {out / 'report.html'}")
    ok = engines["identical_to_baseline"]["tflite-micro"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
