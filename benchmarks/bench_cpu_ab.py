"""Two builds of libedgeq_cpu side by side with XNNPACK on suite models, wall clock (or the
thread's CPU time at 1 thread, --cpu-time), interleaved.

    python benchmarks/bench_cpu_ab.py --a /tmp/before/libedgeq_cpu.so --b build/libedgeq_cpu.so \\
        --models efficientnet_b0,mobilenet_v3_small --size 224 --threads 1

What a kernel change buys, measured in one process: each round visits (model, path) in a new
shuffled order and runs each for ``--min-time`` seconds; reported are medians of all timed
inferences and the ratios b/a and b/XNNPACK. With ``--profile``, each build's per-op times
(EDGEQ_CPU_PROFILE) are read from a separate run in a child process. Results:
``benchmarks/results/cpu_ab_<name>.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from interleave import interleaved  # noqa: E402


def _interp(model: str | bytes, lib: str | None, threads: int):
    """``model``: a path, or the model's bytes."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType, load_delegate

    from edgeq.runtime import MEDIAPIPE_CUSTOM_OPS, _has_custom_ops, delegate_path

    src = {"model_content": model} if isinstance(model, bytes) else {"model_path": model}
    # mediapipe's face-mesh custom ops (float) run on edgeq's mediapipe delegate on every path, as edgeq.runtime does
    mp = [load_delegate(str(delegate_path("mediapipe")))] if _has_custom_ops(model, MEDIAPIPE_CUSTOM_OPS) else []
    if lib is None:  # LiteRT's default: XNNPACK
        return Interpreter(**src, num_threads=threads, **({"experimental_delegates": mp} if mp else {}))
    d = load_delegate(lib, {"num_threads": str(threads)})
    return Interpreter(**src, experimental_delegates=[d, *mp], num_threads=threads,
                       experimental_op_resolver_type=OpResolverType.BUILTIN)


def _prepared(model: str | bytes, lib: str | None, threads: int):
    it = _interp(model, lib, threads)
    it.allocate_tensors()
    rng = np.random.default_rng(0)
    for d in it.get_input_details():
        it.set_tensor(d["index"], rng.integers(-128, 128, d["shape"]).astype(d["dtype"]))
    it.invoke()
    return it


PROFILE_CHILD = r"""
import os, sys, numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType, load_delegate
lib, model, threads, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from edgeq.runtime import MEDIAPIPE_CUSTOM_OPS, _has_custom_ops, delegate_path
mp = [load_delegate(str(delegate_path("mediapipe")))] if _has_custom_ops(model, MEDIAPIPE_CUSTOM_OPS) else []
it = Interpreter(model_path=model, experimental_delegates=[load_delegate(lib, {"num_threads": threads}), *mp],
                 experimental_op_resolver_type=OpResolverType.BUILTIN)
it.allocate_tensors()
for d in it.get_input_details():
    it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
for _ in range(n):
    it.invoke()
"""


def _op_profile(lib: str, model: str, threads: int, cpu_time: bool = False) -> str:
    env = dict(os.environ, EDGEQ_CPU_PROFILE="thread" if cpu_time else "1")
    r = subprocess.run([sys.executable, "-c", PROFILE_CHILD, lib, model, str(threads), "20"], env=env,
                       capture_output=True, text=True, timeout=900)
    return "\n".join(ln for ln in r.stderr.splitlines() if "edgeq" in ln.lower() or "ms" in ln)[-4000:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="libedgeq_cpu.so: the baseline build")
    ap.add_argument("--b", required=True, help="libedgeq_cpu.so: the build under test")
    ap.add_argument("--models", default="efficientnet_b0", help="comma list of suite names")
    ap.add_argument("--variant", default="int8")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--mlp-size", type=int, default=4096, help="width of the suite's mlp")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time each invoke by the calling thread's CPU time (1 thread only: robust to other jobs' load)")
    ap.add_argument("--profile", action="store_true", help="also record each build's EDGEQ_CPU_PROFILE lines")
    ap.add_argument("--name", default="ab", help="results/cpu_ab_<name>.json")
    ap.add_argument("--note", default="")
    ap.add_argument("--files", nargs="+", help="NAME=model.tflite instead of suite models (e.g. cached builds)")
    args = ap.parse_args()
    if args.cpu_time and args.threads != 1:
        ap.error("--cpu-time measures the calling thread only: use it with --threads 1")

    from edgeq import suite

    paths = {"xnnpack": None, "a": args.a, "b": args.b}
    models = {}
    for name, path in (f.split("=", 1) for f in args.files or []):
        models[name] = path
    for name in ([] if args.files else args.models.split(",")):
        m = suite.get(name, args.size if name != "mlp" else args.mlp_size, args.variant)
        models[name] = str(m.path)
    interps = {(n, p): _prepared(path, lib, args.threads) for n, path in models.items() for p, lib in paths.items()}
    times = interleaved({k: it.invoke for k, it in interps.items()}, args.rounds, seed=0, min_time=args.min_time,
                        clock=time.thread_time if args.cpu_time else time.perf_counter)
    out = {"host": platform.node(), "cpu": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                                               if ln.startswith("model name")), "?"),
           "load_avg": os.getloadavg(), "clock": "thread_time" if args.cpu_time else "wall",
           "threads": args.threads, "variant": args.variant, "mlp_size": args.mlp_size, "size": args.size,
           "note": args.note, "a": args.a, "b": args.b, "models": {}}
    for n in models:
        med = {p: statistics.median(times[(n, p)]) * 1e3 for p in paths}
        row = {"median_ms": med, "n": {p: len(times[(n, p)]) for p in paths},
               "b_over_a": med["b"] / med["a"], "a_over_xnnpack": med["a"] / med["xnnpack"],
               "b_over_xnnpack": med["b"] / med["xnnpack"]}
        if args.profile:
            row["profile"] = {p: _op_profile(paths[p], models[n], args.threads, args.cpu_time) for p in ("a", "b")}
        out["models"][n] = row
        print(f"{n:22s} xnnpack {med['xnnpack']:8.2f} ms  a {med['a']:8.2f} ms  b {med['b']:8.2f} ms  "
              f"b/a {row['b_over_a']:.3f}  a/xnn {row['a_over_xnnpack']:.2f}  b/xnn {row['b_over_xnnpack']:.2f}")
    dst = REPO / "benchmarks" / "results" / f"cpu_ab_{args.name}.json"
    dst.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {dst} (load average {out['load_avg'][0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
