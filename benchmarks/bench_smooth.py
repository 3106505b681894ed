"""SmoothQuant-style smoothing (``edgeq.quantize.smooth``) against none, int8 and through the budget ladder.

    python benchmarks/bench_smooth.py                         # minilm_l6 at 16 tokens, 8 calibration / 4 eval samples
    python benchmarks/bench_smooth.py --models minilm_l6,encoder_l6 --size 16

For each model: ``edgeq.convert`` with defaults and with ``--min-sqnr 20``, once without smoothing anywhere
("plain": ``budget.SMOOTH_FC_INPUTS`` off), once smoothed (alpha 0.5, scales from the calibration samples):
int8 of the smoothed float graph, and the ladder as shipped (its island rungs smooth); every figure is measured against the original float model on the evaluation
samples (SQNR, cosine, bytes), with every rung of the ladder's trail.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    import edgeq
    from edgeq import suite
    from edgeq.converter import budget
    from edgeq.analysis.evaluate import compare
    from edgeq.datasets import Samples
    from edgeq.model_source import load_model
    from edgeq.quantize.smooth import smooth_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="minilm_l6")
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--min-sqnr", type=float, default=20.0)
    ap.add_argument("-o", "--output", default=str(REPO / "benchmarks" / "results" / "smooth.json"))
    args = ap.parse_args()
    rows = []
    for name in args.models.split(","):
        spec = suite.spec(name)
        path = suite.get(name, args.size, "float").path
        src = load_model(path).tflite
        calib = Samples(spec.inputs(8, args.size, 0))
        ev = Samples(spec.inputs(4, args.size, 1))
        t = time.perf_counter()
        smoothed, rep = smooth_model(src, list(calib))
        row = {"name": name, "size": args.size, "smooth": {**rep.__dict__, "seconds": round(time.perf_counter() - t, 1)}}
        tmp = Path(tempfile.mkdtemp()) / "smoothed.tflite"
        tmp.write_bytes(smoothed)
        row["float_smoothed_vs_float_sqnr_db"] = compare(src, smoothed, ev)["outputs"][0]["sqnr_db"]
        # plain: no smoothing anywhere; smoothed: int8 of the smoothed graph, and the ladder as shipped
        # (the original model, whose island rungs smooth the graph themselves)
        for label, ladder, p in (("plain", None, path), ("plain", args.min_sqnr, path), ("smoothed", None, tmp),
                                 ("smoothed", args.min_sqnr, path)):
            budget.SMOOTH_FC_INPUTS = label == "smoothed"
            t = time.perf_counter()
            r = edgeq.convert(str(p), calib, eval_data=ev, min_sqnr_db=ladder)
            ev_out = compare(src, r.model, ev)["outputs"]
            key = f"{label}_{'ladder' if ladder else 'int8'}"
            row[key] = {"bytes": len(r.model), "calibration": r.report.get("calibration", {}).get("method"),
                        "outputs": [{k: o[k] for k in ("name", "sqnr_db", "cosine_mean", "cosine_min")} for o in ev_out],
                        "chosen": (r.report.get("budget") or {}).get("chosen"),
                        "trail": [{k: t.get(k) for k in ("step", "size_vs_int8", "min_sqnr_db", "cosine_mean")}
                                  for t in (r.report.get("budget") or {}).get("trail", [])],
                        "seconds": round(time.perf_counter() - t, 1)}
            print(name, key, row[key], flush=True)
        rows.append(row)
        Path(args.output).write_text(json.dumps({"host": platform.node(), "cores": os.cpu_count(),
                                                 "load": os.getloadavg()[0], "rows": rows}, indent=1, default=str))


if __name__ == "__main__":
    main()
