"""Conformance at full size: every suite model through edgeq and TensorFlow's converter, fidelity side by side.

    python benchmarks/bench_conformance.py                       # mediapipe as shipped, Keras nets at 224, MiniLM at 128
    python benchmarks/bench_conformance.py --test-size           # the sizes and sample counts the tests use
    python benchmarks/bench_conformance.py --models minilm_l6,mp_pose_landmark_full
    python benchmarks/bench_conformance.py --models resnet50,convnext_tiny --size 64

For each model (``edgeq.suite.conformance.run_case``): edgeq with default options; where the case
asks, edgeq with ``--min-sqnr`` (the budget ladder: int16 islands, whole int16, ...); TensorFlow's
converter on the same calibration inputs. Each is measured against the float model on other inputs
of the same kind (mediapipe: crops of scikit-learn's two sample photos; Keras nets: seeded
photo-like images; MiniLM: token windows of English sentences): SQNR and cosine per output. The
table printed at the end is model x converts? x fully integer? x SQNR edgeq vs TensorFlow; the JSON
(``benchmarks/results/conformance.json``, or ``conformance_test_size.json``) keeps every figure.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _fmt(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f}"


def table(rows: list[dict]) -> str:
    head = (f"{'model':<36} {'size':>5} {'converts':>8} {'integer':>7} {'edgeq dB':>8} {'TF dB':>7} {'gain':>6}  "
            f"{'logits':>6} {'TF':>5} {'gain':>5}  "
            f"{'ladder dB':>9} {'cos':>7} {'x int8':>6}  ladder rung")
    lines = [head, "-" * len(head)]
    for r in rows:
        ed = r.get("edgeq", {}).get("score_db")
        tf = r.get("tf", {}).get("score_db")
        lad = r.get("edgeq_ladder", {})
        cos = [o["cosine_mean"] for o in lad.get("outputs", []) if o.get("kind") != "class"]
        lines.append(f"{r['name']:<36} {str(r['size'] or 'fixed'):>5} {('yes' if r['converts'] else 'NO'):>8} "
                     f"{('yes' if r.get('fully_integer') else '-' if not r['converts'] else 'no'):>7} "
                     f"{_fmt(ed):>8} {_fmt(tf):>7} {_fmt(r.get('gain_db')):>6}  "
                     f"{_fmt(r.get('edgeq', {}).get('logits', {}).get('sqnr_db')):>6} "
                     f"{_fmt(r.get('tf', {}).get('logits', {}).get('sqnr_db')):>5} {_fmt(r.get('logits_gain_db')):>5}  "
                     f"{_fmt(lad.get('score_db')):>9} "
                     f"{(f'{min(cos):.4f}' if cos else '-'):>7} {(format(lad['size_vs_int8'], '.3f') if lad else '-'):>6}  "
                     f"{lad.get('chosen', '') if lad else (r.get('error', '')[:60])}")
    return "\n".join(lines)


#: a class output both converters score below this (dB) is a flat random-weight softmax: every
#: probability under int8's 1/256 step, so its SQNR compares nothing
FLAT_DB = 3.0


def verdict(rows: list[dict]) -> list[str]:
    """The issue's two goals counted on the outputs as shipped, then with the logits standing in for a
    flat softmax (both counts are printed: the second is a diagnosis, not what the user gets)."""
    def line(what: str, gains: list[float]) -> str:
        return (f"vs TensorFlow ({what}): never worse: {all(g >= 0 for g in gains)} (min gain {min(gains):+.2f} dB, "
                f"worse on {sum(g < 0 for g in gains)}); >= 3 dB better on {sum(g >= 3 for g in gains)} of {len(gains)}")
    shipped = [r["gain_db"] for r in rows if "gain_db" in r]
    if not shipped:
        return []
    flat = [r for r in rows if "gain_db" in r and "logits_gain_db" in r
            and max(r["edgeq"]["score_db"], r["tf"]["score_db"]) < FLAT_DB]
    out = ["", line("outputs", shipped)]
    if flat:
        mixed = [r["logits_gain_db"] if r in flat else r["gain_db"] for r in rows if "gain_db" in r]
        out.append(line(f"logits for the {len(flat)} flat softmax heads", mixed))
    return out


def main() -> None:
    from edgeq import suite
    from edgeq.suite import conformance

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated suite names (default: every conformance case)")
    ap.add_argument("--test-size", action="store_true", help="the test sizes and sample counts")
    ap.add_argument("--size", type=int, help="input size (or tokens) for the models that take one "
                                             "(default: the bench size; mediapipe files keep theirs)")
    ap.add_argument("--calib", type=int, default=None, help="calibration samples (default 32; 8 with --test-size)")
    ap.add_argument("--eval", type=int, default=None, help="evaluation samples (default 16; 4 with --test-size)")
    ap.add_argument("--no-ladder", action="store_true", help="skip the --min-sqnr ladder runs (default options only)")
    ap.add_argument("-o", "--output", help="JSON path (default benchmarks/results/conformance[_test_size].json)")
    args = ap.parse_args()
    names = args.models.split(",") if args.models else list(conformance.CASES)
    calib = args.calib or (8 if args.test_size else 32)
    ev = args.eval or (4 if args.test_size else 16)
    out = Path(args.output or REPO / "benchmarks" / "results" /
               ("conformance_test_size.json" if args.test_size else "conformance.json"))
    rows = []
    t0 = time.time()
    for name in names:
        case = conformance.CASES[name]
        # run_case takes None as the test size: the full run names the bench size (None for mediapipe files)
        size = case.test_size if args.test_size else suite.spec(name).size_or_default(None, "bench")
        if args.size and size is not None:
            size = args.size
        t = time.time()
        row = conformance.run_case(name, size, calib_samples=calib, eval_samples=ev,
                                   ladder_sqnr_db=None if args.no_ladder else case.ladder_sqnr_db)
        row["wall_seconds"] = round(time.time() - t, 1)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
        doc = {"host": platform.node(), "cores": os.cpu_count(), "calib_samples": calib, "eval_samples": ev,
               "sqnr_cap_db": conformance.SQNR_CAP_DB,
               "note": "score = mean over a model's outputs of SQNR (dB) against the float model; gain = edgeq "
                       "score - TensorFlow score (both int8); ladder = edgeq with --min-sqnr (int16 islands where "
                       "needed, still integer)", "rows": rows, "seconds": round(time.time() - t0, 1)}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, default=str, allow_nan=True))
    print()
    print(table(rows))
    for line in verdict(rows):
        print(line)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
