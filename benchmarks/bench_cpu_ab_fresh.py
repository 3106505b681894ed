"""Two libedgeq_cpu builds and XNNPACK at N threads with a fresh interpreter (and so a fresh thread pool) for every
configuration in every round, shuffled: on a loaded 2-core machine one interpreter's 2-thread timings can sit 2x
off another's of the same build for its whole life (where its threads landed, whether its worker keeps polling),
so interleaving long-lived interpreters (bench_cpu_ab.py) compares placements rather than builds. Reports the
median of each round's median, wall clock.

    python benchmarks/bench_cpu_ab_fresh.py A.so B.so r50=resnet50.tflite,mv2=mobilenet_v2.tflite ROUNDS MIN_TIME THREADS [OUT.json]
"""
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_ab import _prepared  # noqa: E402

libs = {"xnnpack": None, "a": sys.argv[1], "b": sys.argv[2]}
files = dict(f.split("=", 1) for f in sys.argv[3].split(","))
rounds, min_t, threads = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
res = {m: {p: [] for p in libs} for m in files}
rnd = random.Random(1)
for r in range(rounds):
    keys = [(m, p) for m in files for p in libs]
    rnd.shuffle(keys)
    for m, p in keys:
        it = _prepared(files[m], libs[p], threads)
        for _ in range(2):
            it.invoke()
        t_end = time.perf_counter() + min_t
        ts = []
        while time.perf_counter() < t_end:
            t0 = time.perf_counter()
            it.invoke()
            ts.append(time.perf_counter() - t0)
        res[m][p].append(statistics.median(ts) * 1e3)
        del it
out = {}
for m in files:
    med = {p: statistics.median(v) for p, v in res[m].items()}
    out[m] = {"round_medians_ms": res[m], "median_of_rounds_ms": med}
    print(f"{m:8s} xnn {med['xnnpack']:7.2f}  a {med['a']:7.2f}  b {med['b']:7.2f}  b/a {med['b'] / med['a']:.3f}  "
          f"a/xnn {med['a'] / med['xnnpack']:.2f}  b/xnn {med['b'] / med['xnnpack']:.2f}", flush=True)
if len(sys.argv) > 7:
    json.dump({"method": "fresh interpreters per configuration and round (shuffled), median of each round, median of rounds; "
               "wall clock", "threads": threads, "rounds": rounds, "min_time": min_t, "load": os.getloadavg(),
               "a": sys.argv[1], "b": sys.argv[2], "results": out}, open(sys.argv[7], "w"), indent=1)
