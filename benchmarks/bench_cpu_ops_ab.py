"""Two builds of libedgeq_cpu on one-op models cut from a model (edgeq.opcut), with XNNPACK beside them:
per node, per-invoke thread CPU time at 1 thread, the three paths visited in a shuffled order each round,
medians over ROUNDS (default 7). What a kernel change buys per node, where whole-model A/Bs on a loaded
machine are too noisy to show it.

    python benchmarks/bench_cpu_ops_ab.py MODEL.tflite A.so B.so DEPTHWISE_CONV_2D,ADD [NODE,...]
"""
import collections, os, statistics, sys, time
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from edgeq import tflite_schema as ts
from edgeq.opcut import cut_op
from bench_cpu_ab import _prepared  # noqa: E402  (benchmarks/ is sys.path[0] when run as a script)
model_path, la, lb, ops = sys.argv[1:5]
only = set(int(x) for x in sys.argv[5].split(",")) if len(sys.argv) > 5 else None
rounds = int(os.environ.get("ROUNDS", "7"))
m = ts.read_model(open(model_path, "rb").read()); sg = m.subgraphs[0]
cuts = [(i, ts.op_name(m, op), cut_op(m, i)[0]) for i, op in enumerate(sg.operators)
        if ts.op_name(m, op) in ops.split(",") and (only is None or i in only)]
libs = {"x": None, "a": la, "b": lb}
its = {(i, p): _prepared(b, libs[p], 1) for i, _, b in cuts for p in libs}
def timeit(it, min_t=0.02):
    n, t0 = 0, time.thread_time()
    while True:
        it.invoke(); n += 1
        t = time.thread_time() - t0
        if t > min_t and n >= 5: return t / n
res = collections.defaultdict(list); rng = np.random.default_rng(1)
for r in range(rounds):
    keys = list(its); rng.shuffle(keys)
    for k in keys: res[k].append(timeit(its[k]))
tot = collections.Counter()
for i, name, _ in cuts:
    med = {p: statistics.median(res[(i, p)]) * 1e3 for p in libs}
    for p in libs: tot[p] += med[p]
    shape = [int(v) for v in sg.tensors[sg.operators[i].outputs[0]].shape]
    print(f"{i:4d} {name:18s} {str(shape):20s} x {med['x']:.4f} a {med['a']:.4f} b {med['b']:.4f} b/a {med['b']/med['a']:.3f} b/x {med['b']/med['x']:.2f}")
print(f"total x {tot['x']:.4f} a {tot['a']:.4f} b {tot['b']:.4f} b/a {tot['b']/tot['a']:.3f} b/x {tot['b']/tot['x']:.3f}")
