"""Would cross-layer equalization on/off as a calibration "auto" candidate keep edgeq from losing to TensorFlow?

    python benchmarks/bench_equalize_choice.py                      # every mediapipe case, 32 calib / 16 eval
    python benchmarks/bench_equalize_choice.py --models mp_iris_landmark --calib 8 --eval 4

For each model: edgeq with default options (calibration auto, equalization on), edgeq with
equalization off (calibration auto), and TensorFlow's quantizer (min/max, no equalization) on
the same calibration inputs, each scored against float on other inputs (mean output SQNR, as
bench_conformance). "pick" is what an auto rule over both would choose from their held-out
scores (the best method's score on the last quarter of the calibration samples).
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
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--eval", type=int, default=16)
    ap.add_argument("-o", "--output", default=str(REPO / "benchmarks" / "results" / "equalize_choice.json"))
    args = ap.parse_args()
    names = args.models.split(",") if args.models else [n for n in CASES if n.startswith("mp_")]
    rows = []
    for name in names:
        sp = suite.spec(name)
        path = suite.get(name, None, "float").path
        calib = Samples(sp.inputs(args.calib, None, 0), source=f"{name} calibration (seed 0)")
        ev = Samples(sp.inputs(args.eval, None, 1), source=f"{name} evaluation (seed 1)")
        row: dict = {"name": name}
        for label, kw in (("equalize_on", {}), ("equalize_off", {"equalize": False})):
            t = time.time()
            r = edgeq.convert(str(path), calib, eval_data=ev, allow_float=CASES[name].allow_float, **kw)
            cal = r.report["calibration"]
            row[label] = {"score_db": _score(_outputs(r.report["evaluation"])), "method": cal["method"],
                          "held_out_db": cal.get("auto_scores_db"), "seconds": round(time.time() - t, 1)}
        ref = load_model(path).tflite
        row["tf_score_db"] = _score(_outputs(compare(ref, tf_reference(ref, calib), ev)))
        held = {k: max(row[k]["held_out_db"].values()) for k in ("equalize_on", "equalize_off")}
        row["pick"] = "equalize_off" if held["equalize_off"] > held["equalize_on"] else "equalize_on"
        row["gain_default_db"] = row["equalize_on"]["score_db"] - row["tf_score_db"]
        row["gain_pick_db"] = row[row["pick"]]["score_db"] - row["tf_score_db"]
        row["gain_oracle_db"] = max(row[k]["score_db"] for k in held) - row["tf_score_db"]
        rows.append(row)
        print(f"{name:<38} on {row['equalize_on']['score_db']:6.2f} off {row['equalize_off']['score_db']:6.2f} "
              f"TF {row['tf_score_db']:6.2f}  gain default {row['gain_default_db']:+.2f} pick {row['gain_pick_db']:+.2f} "
              f"oracle {row['gain_oracle_db']:+.2f}", flush=True)
        Path(args.output).write_text(json.dumps({"host": platform.node(), "cores": os.cpu_count(),
                                                 "calib_samples": args.calib, "eval_samples": args.eval,
                                                 "rows": rows}, indent=1, default=str))


if __name__ == "__main__":
    main()
