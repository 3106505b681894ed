"""Per held-out sample: how far calibration auto's best method leads TensorFlow's recipe (min/max, no equalization).

    python benchmarks/bench_auto_sign.py mp_iris_landmark          # mediapipe files as shipped
    python benchmarks/bench_auto_sign.py minilm_l6 16              # models that take a size

Rebuilds the candidates as edgeq.quantize.stage._auto_calibrated does (32 calibration samples of the
conformance inputs, the last 8 held out) and prints one JSON line: the pooled scores (mean output SQNR
over the held-out samples), each sample's lead of the best method over the recipe (dB), how many are
ahead, and their mean and standard error: the figures that chose auto's sign test over a dB margin
or a paired t-test (notes in stage.py).
"""
import os, sys, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from edgeq import suite
from edgeq.datasets import Samples
from edgeq.options import ConvertOptions
from edgeq.model_source import load_model
from edgeq.quantize.stage import improve_float_model, AUTO_METHODS, float_op_types
from edgeq.quantize.tf_bridge import calibrate, mlir_quantize
from edgeq.quantize.calibration import apply_ranges, ranges_from_stats
from edgeq.quantize.calibration.observers import collect_statistics
from edgeq.analysis.evaluate import sqnr_db
from edgeq.runtime import Interpreter
from edgeq.suite.conformance import CASES

name = sys.argv[1]; size = int(sys.argv[2]) if len(sys.argv) > 2 else None
sp = suite.spec(name)
path = suite.get(name, size, "float").path
fm = load_model(path).tflite
opts = ConvertOptions(allow_float=CASES[name].allow_float)
samples = [list(x) for x in iter(Samples(sp.inputs(32, size, 0), source="c"))]
fit, held = samples[:-8], samples[-8:]
improved, _ = improve_float_model(fm, opts)
plain, _ = improve_float_model(fm, opts.replace(equalize=False))
base = calibrate(improved, fit)
stats, names = collect_statistics(improved, fit)
fi = Interpreter(improved, resolver="builtin")
ref = [fi.run_float(x) for x in held]
def per_sample(cand):
    q = mlir_quantize(cand, io="int8", denylisted_ops=float_op_types(opts.allow_float))
    qi = Interpreter(q, resolver="builtin")
    got = [qi.run_float(x) for x in held]
    pooled = float(np.mean([min(sqnr_db(np.concatenate([r[k] for r in ref]), np.concatenate([g[k] for g in got])), 60) for k in range(len(ref[0]))]))
    each = [float(np.mean([min(sqnr_db(r[k], g[k]), 60) for k in range(len(r))])) for r, g in zip(ref, got)]
    return pooled, each
res = {}
for m in AUTO_METHODS:
    res[m] = per_sample(base if m == "minmax" else apply_ranges(base, ranges_from_stats(improved, stats, names, m, percentile=99.99)))
res["tf-recipe"] = per_sample(calibrate(plain, fit))
best = max(AUTO_METHODS, key=lambda m: res[m][0])
lead = np.array(res[best][1]) - np.array(res["tf-recipe"][1])
print(json.dumps({"name": name, "best": best, "pooled": {k: round(v[0], 3) for k, v in res.items()},
                  "lead_each": [round(x, 2) for x in lead], "wins": int((lead > 0).sum()),
                  "mean": round(float(lead.mean()), 3), "se": round(float(lead.std(ddof=1) / np.sqrt(len(lead))), 3)}), flush=True)
