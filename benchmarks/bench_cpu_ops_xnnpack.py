"""Where edgeq-cpu spends more than XNNPACK outside the GEMMs: each non-GEMM node of a model (all but
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) cut out into a one-op model with its real tensors
(edgeq.opcut), timed at 1 thread with XNNPACK (LiteRT's default) and with edgeq-cpu, per-invoke thread CPU
time, rounds in shuffled order, medians; summed per op type. Each one-op invoke carries the Python
invoke floor (~0.4-1.1 us on the 2-core VMs), and edgeq's fusions (swish's LOGISTIC+MUL) do not happen
in cuts, so read the per-node JSON for big nodes.

    python benchmarks/bench_cpu_ops_xnnpack.py MODEL.tflite build/libedgeq_cpu.so [OPS,...] [OUT.json]
    (OPS may name the GEMM ops too: DEPTHWISE_CONV_2D, CONV_2D, FULLY_CONNECTED)
    ROUNDS=5 (default); GEMM=1 cuts CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED nodes too (with no OPS);
    THREADS=N (default 1) times each cut at N threads, in wall time when N > 1
"""
import collections, json, os, statistics, sys, time
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from edgeq import tflite_schema as ts
from edgeq.opcut import cut_op
from bench_cpu_ab import _prepared  # noqa: E402  (benchmarks/ is sys.path[0] when run as a script)

model_path, lib = sys.argv[1], sys.argv[2]
types = set(sys.argv[3].split(",")) if len(sys.argv) > 3 and sys.argv[3] else None
rounds = int(os.environ.get("ROUNDS", "5"))
threads = int(os.environ.get("THREADS", "1"))
gemm = os.environ.get("GEMM") == "1"
clock = time.thread_time if threads == 1 else time.perf_counter
data = open(model_path, "rb").read()
m = ts.read_model(data)
sg = m.subgraphs[0]
cuts = []
for i, op in enumerate(sg.operators):
    name = ts.op_name(m, op)
    if types is None and not gemm and name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        continue  # named in OPS (or GEMM=1), they are timed too
    if types and name not in types:
        continue
    b, feeds = cut_op(m, i)
    cuts.append((i, name, b))

def prep(b, use_lib):
    return _prepared(b, lib if use_lib else None, threads)

def timeit(it, min_t=0.02):
    n, t0 = 0, clock()
    while True:
        it.invoke(); n += 1
        t = clock() - t0
        if t > min_t and n >= 5:
            return t / n

its = {(i, p): prep(b, p == "edgeq") for i, _, b in cuts for p in ("xnnpack", "edgeq")}
res = collections.defaultdict(list)
rng = np.random.default_rng(1)
for r in range(rounds):
    keys = list(its); rng.shuffle(keys)
    for k in keys:
        res[k].append(timeit(its[k]))
per_node = []
by_type = collections.defaultdict(lambda: [0.0, 0.0, 0])
for i, name, b in cuts:
    x = statistics.median(res[(i, "xnnpack")]) * 1e3
    e = statistics.median(res[(i, "edgeq")]) * 1e3
    shape = [int(v) for v in sg.tensors[sg.operators[i].outputs[0]].shape]
    per_node.append({"node": i, "op": name, "out": shape, "xnnpack_ms": x, "edgeq_ms": e})
    by_type[name][0] += x; by_type[name][1] += e; by_type[name][2] += 1
print(f"{'op':20s} {'n':>3s} {'xnnpack':>9s} {'edgeq':>9s} ratio   (ms per invoke, sums of one-op models, "
      f"{'thread CPU time' if threads == 1 else f'wall, {threads} threads'})")
for k, (x, e, n) in sorted(by_type.items(), key=lambda kv: -kv[1][1]):
    print(f"{k:20s} {n:3d} {x:9.4f} {e:9.4f} {e/x:5.2f}")
out = sys.argv[4] if len(sys.argv) > 4 else None
if out:
    json.dump({"model": model_path, "lib": lib, "rounds": rounds, "threads": threads, "load_avg": os.getloadavg(), "nodes": per_node,
               "by_type": {k: {"xnnpack_ms": v[0], "edgeq_ms": v[1], "nodes": v[2]} for k, v in by_type.items()}},
              open(out, "w"), indent=1)
