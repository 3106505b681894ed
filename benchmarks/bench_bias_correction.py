"""Bias correction (``bias_correction=True``, off by default) against the defaults and TensorFlow's quantizer.

    python benchmarks/bench_bias_correction.py                    # mediapipe cases, 8 calib / 4 eval (test size)
    python benchmarks/bench_bias_correction.py --calib 32 --eval 16

For each model: edgeq defaults, edgeq with bias correction, TensorFlow's quantizer (min/max) on the
same calibration inputs; each scored against float on other inputs (mean output SQNR, as
bench_conformance), and the gain over TensorFlow of both.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    import edgeq
    from edgeq import suite
    from edgeq.analysis.evaluate import compare
    from edgeq.datasets import Samples
    from edgeq.model_source import load_model
    from edgeq.suite.conformance import CASES, _outputs, _score, tf_reference

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated mediapipe suite names (default: all)")
    ap.add_argument("--calib", type=int, default=8)
    ap.add_argument("--eval", type=int, default=4)
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    out = Path(args.output or REPO / "benchmarks" / "results" / f"bias_correction_{args.calib}_{args.eval}.json")
    names = args.models.split(",") if args.models else [n for n in CASES if n.startswith("mp_")]
    rows = []
    for name in names:
        sp = suite.spec(name)
        path = suite.get(name, None, "float").path
        calib = Samples(sp.inputs(args.calib, None, 0), source=f"{name} calibration (seed 0)")
        ev = Samples(sp.inputs(args.eval, None, 1), source=f"{name} evaluation (seed 1)")
        row: dict = {"name": name}
        for label, kw in (("default", {}), ("bias_correction", {"bias_correction": True})):
            t = time.time()
            r = edgeq.convert(str(path), calib, eval_data=ev, allow_float=CASES[name].allow_float, **kw)
            outs = _outputs(r.report["evaluation"])
            row[label] = {"score_db": _score(outs), "worst_db": min(o["sqnr_db"] for o in outs),
                          "corrected_layers": r.report.get("bias_correction"), "seconds": round(time.time() - t, 1)}
        ref = load_model(path).tflite
        row["tf_score_db"] = _score(_outputs(compare(ref, tf_reference(ref, calib), ev)))
        for label in ("default", "bias_correction"):
            row[label]["gain_db"] = row[label]["score_db"] - row["tf_score_db"]
        rows.append(row)
        print(f"{name:<38} default {row['default']['score_db']:6.2f} bias-corrected {row['bias_correction']['score_db']:6.2f} "
              f"TF {row['tf_score_db']:6.2f}  gain {row['default']['gain_db']:+.2f} -> {row['bias_correction']['gain_db']:+.2f}",
              flush=True)
        out.write_text(json.dumps({"host": platform.node(), "cores": os.cpu_count(), "calib_samples": args.calib,
                                   "eval_samples": args.eval, "rows": rows}, indent=1, default=str))
    g0 = [r["default"]["gain_db"] for r in rows]
    g1 = [r["bias_correction"]["gain_db"] for r in rows]
    print(f"worse than TF: {sum(g < 0 for g in g0)} -> {sum(g < 0 for g in g1)}; >= 3 dB better: "
          f"{sum(g >= 3 for g in g0)} -> {sum(g >= 3 for g in g1)} of {len(rows)}")


if __name__ == "__main__":
    main()
