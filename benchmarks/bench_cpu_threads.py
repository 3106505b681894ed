"""Thread scaling of the edgeq CPU delegate, op by op, and the pool's poll time.

    python benchmarks/bench_cpu_threads.py --files mnv2=m.tflite effb0=e.tflite --threads 1,4,8,16 \\
        [--spin 10,50,200] [--out benchmarks/results/cpu_threads_<host>.json]

1. Per-op profile at each thread count: the delegate's own per-node timers (option
   ``profile_path``) over ``--invokes`` invokes after a warm-up, summed per op type, so the ops that
   do not scale stand out (time at T threads, and speed-up over 1 thread).
2. Poll-time sweep (``--spin``, microseconds; the pool reads ``EDGEQ_CPU_POOL_SPIN_US`` when a
   delegate kernel is created): every (model, threads >= 2, spin) configuration is loaded in one
   process and timed in interleaved shuffled rounds with XNNPACK at the same thread count;
   medians and ratios to XNNPACK.

The delegate library is the one ``edgeq.runtime`` finds (``EDGEQ_DELEGATE_DIR`` first).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


def _interp(model: str, threads: int, lib: str | None, options: dict | None = None):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType, load_delegate

    if lib is None:  # LiteRT's default: XNNPACK
        it = Interpreter(model_path=model, num_threads=threads)
    else:
        opts = {"num_threads": str(threads), **(options or {})}
        it = Interpreter(model_path=model, experimental_delegates=[load_delegate(lib, opts)], num_threads=threads,
                         experimental_op_resolver_type=OpResolverType.BUILTIN)
    it.allocate_tensors()
    rng = np.random.default_rng(0)
    for d in it.get_input_details():
        it.set_tensor(d["index"], rng.integers(-128, 128, d["shape"]).astype(d["dtype"]))
    it.invoke()
    return it


def _node_totals(model: str, lib: str, threads: int, invokes: int) -> tuple[dict[str, float], int]:
    """Summed ms per op type over all invokes of one interpreter (its first, cold one included)."""
    import gc

    fd, path = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    try:
        it = _interp(model, threads, lib, {"profile_path": path})
        for _ in range(invokes):
            it.invoke()
        del it
        gc.collect()  # the delegate writes its line when freed
        line = json.loads(Path(path).read_text().splitlines()[-1])
    finally:
        os.unlink(path)
    totals: dict[str, float] = collections.defaultdict(float)
    for n in line["nodes"]:
        totals[n["op"]] += n["ms"] * line["invokes"]
    return totals, line["invokes"]


def op_profile(model: str, lib: str, threads: int, invokes: int) -> dict[str, float]:
    """ms per warm invoke per op type: the difference of a short and a long run (the delegate's
    per-node timers count the cold first invoke too)."""
    short, n_short = _node_totals(model, lib, threads, 3)
    long, n_long = _node_totals(model, lib, threads, 3 + invokes)
    return {op: max(long[op] - short.get(op, 0.0), 0.0) / (n_long - n_short) for op in long}


def spin_sweep(models: dict[str, str], lib: str, threads: list[int], spins: list[int], rounds: int,
               min_time: float) -> dict:
    configs = {}
    for name, path in models.items():
        for t in threads:
            configs[(name, t, "xnnpack")] = _interp(path, t, None)
            for us in spins:
                os.environ["EDGEQ_CPU_POOL_SPIN_US"] = str(us)
                configs[(name, t, f"spin{us}")] = _interp(path, t, lib)
    os.environ.pop("EDGEQ_CPU_POOL_SPIN_US", None)
    times: dict = {k: [] for k in configs}
    order = list(configs)
    for _ in range(rounds):
        random.shuffle(order)
        for k in order:
            it, t_end = configs[k], time.perf_counter() + min_time
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                it.invoke()
                times[k].append(time.perf_counter() - t0)
    out: dict = {}
    for (name, t, cfg), ts in times.items():
        out.setdefault(name, {}).setdefault(str(t), {})[cfg] = {"median_ms": statistics.median(ts) * 1e3,
                                                               "runs": len(ts)}
    for name in out:
        for t, row in out[name].items():
            base = row["xnnpack"]["median_ms"]
            for cfg, v in row.items():
                v["ratio_to_xnnpack"] = v["median_ms"] / base
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", nargs="+", required=True, help="NAME=model.tflite")
    ap.add_argument("--threads", default="1,2", help="comma list (default 1,2)")
    ap.add_argument("--invokes", type=int, default=30, help="profiled invokes per thread count (default 30)")
    ap.add_argument("--spin", default="", help="comma list of poll times in us to sweep (default: no sweep)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.15)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    from edgeq.runtime import delegate_path

    lib = str(delegate_path("cpu"))
    models = dict(f.split("=", 1) for f in args.files)
    threads = [int(t) for t in args.threads.split(",")]
    res: dict = {"host": platform.node(), "cores": os.cpu_count(), "loadavg_start": os.getloadavg(),
                 "note": args.note, "threads": threads, "profile": {}, "spin_sweep": None}
    for name, path in models.items():
        prof = {str(t): op_profile(path, lib, t, args.invokes) for t in threads}
        res["profile"][name] = prof
        base = prof[str(threads[0])]
        print(f"== {name}: ms per invoke by op type at " + "/".join(map(str, threads)) + " threads")
        for op in sorted(base, key=lambda o: -base[o]):
            ms = [prof[str(t)].get(op, 0.0) for t in threads]
            print(f"   {op:20s} " + " ".join(f"{m:8.3f}" for m in ms) + f"   x{ms[0] / max(ms[-1], 1e-9):.2f}")
        tot = [sum(prof[str(t)].values()) for t in threads]
        print(f"   {'total':20s} " + " ".join(f"{m:8.3f}" for m in tot) + f"   x{tot[0] / max(tot[-1], 1e-9):.2f}",
              flush=True)
    if args.spin:
        spins = [int(s) for s in args.spin.split(",")]
        res["spin_sweep"] = spin_sweep(models, lib, [t for t in threads if t > 1], spins, args.rounds, args.min_time)
        for name, rows in res["spin_sweep"].items():
            for t, row in rows.items():
                print(f"   {name} @{t}: " + "  ".join(f"{c} {v['median_ms']:.3f} ms (x{v['ratio_to_xnnpack']:.2f})"
                                                  for c, v in row.items()), flush=True)
    res["loadavg_end"] = os.getloadavg()
    out = args.out or REPO / "benchmarks" / "results" / f"cpu_threads_{platform.node().split('.')[0]}.json"
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
