"""How well each ``--calibration auto`` selection rule picks, across the conformance suite.

    python benchmarks/bench_auto_calibration.py                    # every conformance case at test size
    python benchmarks/bench_auto_calibration.py --models mp_iris_landmark

For each model (test size, 8 calibration samples seed 0, 4 evaluation samples seed 1, as
``bench_conformance.py --test-size``): every candidate calibration is fitted on all 8 samples and
measured on the evaluation samples (the figure a rule would end up with, per output, SQNR against
float); then each candidate is also fitted on 6 of the 8 and scored on the other 2, for each of the
4 folds, keeping per output the held-out signal and noise energies. A selection rule sees only the
calibration samples; its score on a model is the evaluation figure of the candidate it picks.

Candidates: ``mse``, ``minmax``, ``percentile`` on the equalized float graph (edgeq's defaults), and
``tf``: TFLite's min/max without cross-layer equalization (what TensorFlow's converter writes).

Rules (``rules()``): ``last`` (one split, the last quarter held out, mean output SQNR: the rule in
place before), ``kfold`` (4 folds, each output's SQNR over all held-out samples, mean over outputs),
``kfold-worst`` (the same, weakest output), ``kfold-nsr`` (mean over outputs of the noise-to-signal
ratio), ``kfold-foldmean`` (mean over folds of each fold's mean output SQNR), ``last-worst``; each with and
without the ``tf`` candidate. ``always-X`` picks X everywhere; ``oracle`` the best on the evaluation samples.
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

import numpy as np  # noqa: E402

CAP = 60.0
FOLDS = 4
BASE = ("mse", "minmax", "percentile")


def _sqnr(signal: float, noise: float) -> float:
    if noise <= 0:
        return CAP
    if signal <= 0:
        return -CAP
    return min(10 * math.log10(signal / noise), CAP)


def _energies(ref: list[list[np.ndarray]], got: list[list[np.ndarray]]) -> list[tuple[float, float]]:
    out = []
    for k in range(len(ref[0])):
        r = np.concatenate([x[k].ravel() for x in ref]).astype(np.float64)
        g = np.concatenate([x[k].ravel() for x in got]).astype(np.float64)
        out.append((float(np.sum(r * r)), float(np.sum((r - g) ** 2))))
    return out


def _candidates(float_model: bytes, fit: list, options) -> dict[str, bytes]:
    """candidate name -> int8 model fitted on ``fit``."""
    from edgeq.quantize.calibration import apply_ranges, ranges_from_stats
    from edgeq.quantize.calibration.observers import collect_statistics
    from edgeq.quantize.graph_rewrites import apply_rewrites
    from edgeq.quantize.stage import float_op_types, improve_float_model
    from edgeq.quantize.tf_bridge import calibrate, mlir_quantize

    def q(cal: bytes) -> bytes:
        return mlir_quantize(cal, io=options.io, per_tensor=options.per_tensor,
                             denylisted_ops=float_op_types(options.allow_float))

    improved, _ = improve_float_model(float_model, options)
    base = calibrate(improved, fit)
    stats, names = collect_statistics(improved, fit)
    out = {}
    for m in BASE:
        out[m] = q(base if m == "minmax" else apply_ranges(base, ranges_from_stats(
            improved, stats, names, m, percentile=options.percentile)))
    plain, _ = apply_rewrites(float_model)
    out["tf"] = q(calibrate(plain, fit))
    return out


def measure(name: str) -> dict:
    from edgeq import suite
    from edgeq.datasets import Samples
    from edgeq.model_source import load_model
    from edgeq.options import ConvertOptions
    from edgeq.runtime import Interpreter
    from edgeq.suite import conformance

    case = conformance.CASES[name]
    spec = suite.spec(name)
    size = spec.size_or_default(case.test_size, "test") if spec.bench_size is not None else None
    src = load_model(suite.get(name, size, "float").path).tflite
    calib = [list(x) for x in Samples(spec.inputs(8, size, 0))]
    ev = [list(x) for x in Samples(spec.inputs(4, size, 1))]
    opts = ConvertOptions().resolved()
    fi = Interpreter(src, resolver="builtin")

    def run(model: bytes, xs: list) -> list[list[np.ndarray]]:
        it = Interpreter(model, resolver="builtin")
        return [it.run_float(x) for x in xs]

    ref_ev = [fi.run_float(x) for x in ev]
    ref_cal = [fi.run_float(x) for x in calib]
    t0 = time.perf_counter()
    full = _candidates(src, calib, opts)
    row: dict = {"name": name, "size": size, "full_fit_seconds": round(time.perf_counter() - t0, 1),
                 "eval": {}, "folds": []}
    for c, model in full.items():
        row["eval"][c] = [_sqnr(s, n) for s, n in _energies(ref_ev, run(model, ev))]
    held_n = len(calib) // FOLDS
    t0 = time.perf_counter()
    for f in range(FOLDS):
        held_idx = list(range(f * held_n, (f + 1) * held_n))
        fit = [x for i, x in enumerate(calib) if i not in held_idx]
        cands = _candidates(src, fit, opts)
        row["folds"].append({c: _energies([ref_cal[i] for i in held_idx], run(m, [calib[i] for i in held_idx]))
                             for c, m in cands.items()})
    row["folds_seconds"] = round(time.perf_counter() - t0, 1)
    return row


def _pick(scores: dict[str, float], order: tuple[str, ...]) -> str:
    return max(order, key=lambda m: (scores[m], -order.index(m)))


def rules(row: dict) -> dict[str, str]:
    """rule name -> the candidate it picks, from the calibration-sample figures only."""
    folds = row["folds"]
    n_out = len(folds[0]["mse"])

    def pooled(c: str, which: list[int]) -> list[float]:
        return [_sqnr(sum(folds[f][c][k][0] for f in which), sum(folds[f][c][k][1] for f in which))
                for k in range(n_out)]

    picks = {}
    for with_tf in (False, True):
        order = BASE + (("tf",) if with_tf else ())
        sfx = "+tf" if with_tf else ""
        picks["last" + sfx] = _pick({c: float(np.mean(pooled(c, [FOLDS - 1]))) for c in order}, order)
        picks["last-worst" + sfx] = _pick({c: min(pooled(c, [FOLDS - 1])) for c in order}, order)
        picks["kfold" + sfx] = _pick({c: float(np.mean(pooled(c, list(range(FOLDS))))) for c in order}, order)
        picks["kfold-worst" + sfx] = _pick({c: min(pooled(c, list(range(FOLDS)))) for c in order}, order)
        picks["kfold-foldmean" + sfx] = _pick({c: float(np.mean([np.mean(pooled(c, [f])) for f in range(FOLDS)]))
                                               for c in order}, order)
        picks["kfold-nsr" + sfx] = _pick({c: -float(np.mean([10 ** (-v / 10) for v in pooled(c, list(range(FOLDS)))]))
                                          for c in order}, order)
    return picks


def summary(rows: list[dict]) -> dict:
    names = list(rules(rows[0]))
    out = {}
    for r in names + [f"always-{c}" for c in BASE + ("tf",)] + ["oracle"]:
        per = {}
        for row in rows:
            ev = {c: float(np.mean(v)) for c, v in row["eval"].items()}
            if r == "oracle":
                c = max(ev, key=ev.get)
            elif r.startswith("always-"):
                c = r[len("always-"):]
            else:
                c = rules(row)[r]
            per[row["name"]] = (c, round(ev[c], 3), round(ev[c] - ev["tf"], 3))
        gains = [g for _, _, g in per.values()]
        out[r] = {"mean_db": round(float(np.mean([s for _, s, _ in per.values()])), 3),
                  "mean_gain_vs_tf_db": round(float(np.mean(gains)), 3), "min_gain_vs_tf_db": round(min(gains), 3),
                  "worse_than_tf_by_0.1db": sum(g < -0.1 for g in gains), "picks": per}
    return out


def main() -> None:
    from edgeq.suite import conformance

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated conformance cases (default: all that convert)")
    ap.add_argument("-o", "--output", default=str(REPO / "benchmarks" / "results" / "auto_calibration.json"))
    args = ap.parse_args()
    names = args.models.split(",") if args.models else [n for n, c in conformance.CASES.items()
                                                         if c.expect_error is None]
    out = Path(args.output)
    rows = []
    if out.exists():  # resume: keep models already measured
        rows = [r for r in json.loads(out.read_text()).get("rows", []) if r["name"] in names]
    done = {r["name"] for r in rows}
    t0 = time.time()
    for name in names:
        if name in done:
            continue
        t = time.time()
        row = measure(name)
        row["wall_seconds"] = round(time.time() - t, 1)
        rows.append(row)
        print(name, {c: round(float(np.mean(v)), 2) for c, v in row["eval"].items()}, rules(row),
              f"{row['wall_seconds']} s", flush=True)
        doc = {"host": platform.node(), "cores": os.cpu_count(), "load": os.getloadavg()[0], "calib_samples": 8,
               "eval_samples": 4, "folds": FOLDS, "sqnr_cap_db": CAP, "rows": rows,
               "summary": summary(rows), "seconds": round(time.time() - t0, 1)}
        out.write_text(json.dumps(doc, indent=1))
    s = summary(rows)
    for r, v in s.items():
        print(f"{r:22} mean {v['mean_db']:7.3f} dB  vs TF mean {v['mean_gain_vs_tf_db']:+.3f} "
              f"min {v['min_gain_vs_tf_db']:+.3f}  worse>0.1dB: {v['worse_than_tf_by_0.1db']}")


if __name__ == "__main__":
    main()
