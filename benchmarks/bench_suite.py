"""The model suite on x86, wall clock: XNNPACK, LiteRT builtin, edgeq-cpu and edgeq-cpu fast, side by side.

    python benchmarks/bench_suite.py                      # the suite at 224 / 128 tokens / 4096 wide, 1 and 2 threads
    python benchmarks/bench_suite.py --threads 1,2,4,8 --models mobilenet_v2,efficientnet_b0
    python benchmarks/bench_suite.py --quick              # small sizes and short rounds (a smoke run)
    python benchmarks/bench_suite.py --files models/      # .tflite files as they are (no TensorFlow needed:
                                                          # suite models built on another machine)

Models come from ``edgeq.suite`` (built once, cached under ~/.cache/edgeq/suite): the int8
conversions by ``edgeq.convert`` of every core model, the int4 MLP, the int8 mediapipe models
that convert, and (``--tf``) the same nets from TensorFlow's own converter with a dynamic batch.

Method: every (path, threads) configuration of a model is first loaded and run once outside the
timing process (the thread counts of one path in one fresh process, each configuration in its own
if that process fails; ``--probe-each``: one process per configuration), so a runtime or delegate
that crashes or refuses a model is recorded (status and its one line) instead of ending the run. The configurations that ran are then timed in one process,
interleaved: each round visits them in a new shuffled order and runs each for ``--min-time``
seconds, so drift (other load, frequency) hits them alike. Reported: median, p10 and p90 of all
timed inferences, the ratio of each median to XNNPACK's at the same thread count, and the
geometric mean of those ratios over the models where both ran. Each probe also hashes an informative
tensor (the logits, or the deepest one random weights do not collapse: ``edgeq.suite.informative``)
and flags degenerate outputs; ``hashes`` says whether edgeq-cpu's is the same at every thread count. Results:
``benchmarks/results/suite_x86_<host>.json``, rewritten after each model (a run cut short keeps the models it
finished); ``--time-budget S`` starts no model after S seconds (those left are listed in ``not_run``).
Run it under ``nice -n -5`` on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import socket
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# numpy's OpenBLAS workers busy-wait after use and would steal cores from the paths under test
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from interleave import cpu_name, interleaved, stats_ms  # noqa: E402

PATHS = ("xnnpack", "builtin", "edgeq-cpu", "edgeq-cpu-fast")


def _isa() -> list[str]:
    """The SIMD extensions the kernels choose between (from /proc/cpuinfo flags)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return sorted(f for f in flags if f in ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
                                                       "fma", "asimddp", "i8mm"))
    except OSError:
        pass
    return []


def model_list(args) -> list[tuple[str, str, int | None]]:
    """(name, variant, size) to benchmark."""
    from edgeq import suite

    names = suite.CORE if args.models == "core" else (
        [*suite.CORE, *suite.names("mediapipe")] if args.models == "all" else args.models.split(","))
    out = []
    for n in names:
        s = suite.spec(n)
        size = None if s.bench_size is None else (s.test_size if args.quick else (args.size if (
            args.size and s.family == "keras.applications") else s.bench_size))
        if s.family == "mlp" and args.quick:
            size = 1024
        out.append((n, "int8", size))
        if s.family == "mlp":
            out.append((n, "int4", size))
        if args.tf and "tf-int8-dynbatch" in s.variants:
            out.append((n, "tf-int8-dynbatch", size))
    return out


class _FileModel:
    """A .tflite file timed as it is, with what the suite's cache would have said about it."""

    def __init__(self, path: Path) -> None:
        self.path, self.bytes = path, path.read_bytes()
        self.meta = {"bytes": len(self.bytes), "weights": "as in the file", "converter": "as in the file"}


def file_list(paths: list[Path]) -> list[tuple[str, str, None]]:
    """(path, "file", None) for every .tflite named or inside a named folder, sorted."""
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(p.glob("*.tflite"))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p} does not exist: give .tflite files or folders holding them")
    return [(str(p), "file", None) for p in out]


def time_configs(model: bytes, configs: list[tuple[str, int]], rounds: int, min_time: float, seed: int) -> dict:
    """Interleaved shuffled rounds over the configurations; medians and percentiles in ms."""
    from edgeq.suite.probe import fixed_inputs, make_interpreter

    interps, errors = {}, {}
    for path, threads in configs:
        try:
            interps[(path, threads)] = make_interpreter(model, path, threads)
        except Exception as e:  # noqa: BLE001 - recorded, the others still run
            errors[(path, threads)] = " ".join(str(e).split())[:300]
    x = None
    for it in interps.values():
        x = x or fixed_inputs(it)
        for _ in range(2):  # warm-up: first inferences allocate and pack
            it.run(x)
    samples = interleaved({k: (lambda it=it: it.run(x)) for k, it in interps.items()}, rounds, seed, min_time=min_time)
    out = {}
    for (path, threads) in configs:
        k = f"{path}@{threads}"
        if (path, threads) in errors:
            out[k] = {"error": errors[(path, threads)]}
        elif (path, threads) in samples:
            out[k] = stats_ms(samples[(path, threads)])
    return out


def hash_check(probes: dict) -> dict:
    """What the probes' hashes say: whether the model outputs are degenerate (a random-weight softmax
    is -128 everywhere, so equal outputs_sha1 prove nothing), and whether edgeq-cpu's informative
    hash (logits / deepest non-collapsed tensor) is the same at every thread count, as exact
    arithmetic must make it."""
    ok = {k: v for k, v in probes.items() if v.get("status") == "ok"}
    out = {"outputs_degenerate": any(v.get("outputs_degenerate") for v in ok.values())}
    by_threads = {k: v.get("informative_sha1") or v.get("outputs_sha1") for k, v in ok.items()
                  if k.split("@")[0] == "edgeq-cpu"}
    if by_threads:
        out["edgeq_cpu_same_across_threads"] = len(set(by_threads.values())) == 1
        out["informative_degenerate"] = any(ok[k].get("informative_degenerate", False) for k in by_threads)
    return out


def geomeans(models: dict, paths: list[str], threads: list[int]) -> dict:
    out = {}
    for p in paths:
        if p == "xnnpack":
            continue
        for t in threads:
            r = [m["ratio_to_xnnpack"][f"{p}@{t}"] for m in models.values()
                 if f"{p}@{t}" in m.get("ratio_to_xnnpack", {})]
            if r:
                out[f"{p}@{t}"] = {"geomean": math.exp(sum(map(math.log, r)) / len(r)), "models": len(r)}
    return out


def print_table(results: dict) -> None:
    paths, threads = results["paths"], results["threads"]
    for t in threads:
        head = f"{'model':38} " + " ".join(f"{p + '@' + str(t):>22}" for p in paths)
        print(f"\n{head}\n{'-' * len(head)}")
        for key, m in results["models"].items():
            cells = []
            for p in paths:
                c = m["timing"].get(f"{p}@{t}", {})
                if "median_ms" in c:
                    r = m["ratio_to_xnnpack"].get(f"{p}@{t}")
                    cells.append(f"{c['median_ms']:9.2f} ms" + (f" ({r:5.2f}x)" if r and p != "xnnpack" else " " * 9))
                else:
                    st = m["probe"].get(f"{p}@{t}", {}).get("status", "error")
                    cells.append(st.upper())
            print(f"{key:38} " + " ".join(f"{c:>22}" for c in cells))
        gm = "  ".join(f"{k.split('@')[0]} {v['geomean']:.2f}x ({v['models']} models)"
                       for k, v in results["geomean_to_xnnpack"].items() if k.endswith(f"@{t}"))
        print(f"geometric mean / XNNPACK @{t}: {gm}")
    for key, why in results["not_built"].items():
        print(f"not built: {key}: {why}")
    for key, m in results["models"].items():
        for cfg, pr in m["probe"].items():
            if pr["status"] != "ok":
                print(f"{pr['status']}: {key} {cfg}: {pr['detail']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="all",
                    help="'all' (core + mediapipe), 'core', or a comma list of suite names (default all)")
    ap.add_argument("--size", type=int, help="image side for the keras.applications nets (default 224)")
    ap.add_argument("--threads", default="1,2", help="comma list of thread counts (default 1,2)")
    ap.add_argument("--paths", default=",".join(PATHS), help=f"comma list of {', '.join(PATHS)}")
    ap.add_argument("--tf", action="store_true", help="add each net from TensorFlow's converter (dynamic batch)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per configuration per round (default 0.3)")
    ap.add_argument("--quick", action="store_true", help="test sizes, 2 rounds of 0.05 s: a smoke run")
    ap.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/suite_x86_<host>.json)")
    ap.add_argument("--files", type=Path, nargs="+",
                    help=".tflite files (or folders of them) to time as they are, instead of suite models")
    ap.add_argument("--note", default="", help="free text stored with the results (e.g. 'shared machine')")
    ap.add_argument("--probe-each", action="store_true",
                    help="probe every (path, threads) configuration in its own process (default: one per path)")
    ap.add_argument("--time-budget", type=float,
                    help="seconds: start no model after this (the rest are listed in not_run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.min_time = 2, 0.05
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    paths = [p for p in args.paths.split(",") if p.strip()]
    bad = [p for p in paths if p not in PATHS]
    if bad or not threads or min(threads) < 1:
        print(f"error: unknown path {bad[0]!r}: choose from {', '.join(PATHS)}" if bad
              else "error: --threads needs positive integers, e.g. 1,2", file=sys.stderr)
        return 2
    from edgeq import suite
    from edgeq.runtime import find_runtime
    from edgeq.suite.probe import probe, probe_threads

    host = socket.gethostname().split(".")[0]
    out_path = args.out or REPO / "benchmarks" / "results" / f"suite_x86_{host}.json"
    try:
        todo = file_list(args.files) if args.files else model_list(args)
    except (KeyError, FileNotFoundError) as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    results: dict = {
        "host": host, "cpu": cpu_name(), "isa": _isa(), "cores": os.cpu_count(), "nice": os.nice(0),
        "loadavg_start": os.getloadavg(), "runtime": find_runtime().describe(), "note": args.note,
        "method": ("each config probed in a fresh process" if args.probe_each else
                   "each path probed at every thread count in a fresh process (each config alone if that fails)")
                  + "; then interleaved shuffled rounds in one process; "
                  f"{args.rounds} rounds x {args.min_time} s per config; median/p10/p90 of all timed inferences",
        "threads": threads, "paths": paths, "models": {}, "not_built": {}, "not_run": []}
    t_start = time.monotonic()

    def save(final: bool) -> None:
        results["geomean_to_xnnpack"] = geomeans(results["models"], paths, threads)
        results["complete"] = final
        results["elapsed_s"] = time.monotonic() - t_start
        results["loadavg_end"] = os.getloadavg()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1))
        os.replace(tmp, out_path)

    for name, variant, size in todo:
        key = Path(name).stem if variant == "file" else f"{name}:{variant}@{size or 'fixed'}"
        if args.time_budget is not None and time.monotonic() - t_start > args.time_budget:
            results["not_run"].append(key)
            print(f"== {key}: not run (--time-budget {args.time_budget:g} s spent)", flush=True)
            continue
        print(f"== {key}", flush=True)
        t_model = time.monotonic()
        try:
            m = _FileModel(Path(name)) if variant == "file" else suite.get(name, size, variant)
        except (suite.SuiteBuildError, suite.FetchError) as e:
            results["not_built"][key] = str(e)
            print(f"   not built: {e}", flush=True)
            continue
        configs = [(p, t) for p in paths for t in threads]
        if args.probe_each:
            probes = {f"{p}@{t}": probe(m.path, p, t) for p, t in configs}
        else:
            by_path = {p: probe_threads(m.path, p, threads) for p in paths}
            probes = {f"{p}@{t}": by_path[p][t] for p, t in configs}
        ok = [(p, t) for p, t in configs if probes[f"{p}@{t}"]["status"] == "ok"]
        timing = time_configs(m.bytes, ok, args.rounds, args.min_time, seed=len(key)) if ok else {}
        ratios = {}
        for p, t in ok:
            base = timing.get(f"xnnpack@{t}", {}).get("median_ms")
            mine = timing.get(f"{p}@{t}", {}).get("median_ms")
            if base and mine:
                ratios[f"{p}@{t}"] = mine / base
        results["models"][key] = {"name": name, "variant": variant, "size": size, "bytes": m.meta["bytes"],
                                  "weights": m.meta["weights"], "converter": m.meta.get("converter", ""),
                                  "probe": probes, "hashes": hash_check(probes), "timing": timing,
                                  "ratio_to_xnnpack": ratios, "seconds": time.monotonic() - t_model}
        for k, v in timing.items():
            print(f"   {k:18} " + (f"{v['median_ms']:9.3f} ms  p10 {v['p10_ms']:.3f}  p90 {v['p90_ms']:.3f}  "
                                    f"x{ratios.get(k, float('nan')):.2f}" if "median_ms" in v else v["error"]),
                  flush=True)
        for k, v in probes.items():
            if v["status"] != "ok":
                print(f"   {k:18} {v['status']}: {v['detail']}", flush=True)
        hc = results["models"][key]["hashes"]
        if hc.get("edgeq_cpu_same_across_threads") is False:
            print("   edgeq-cpu outputs DIFFER between thread counts", flush=True)
        if hc["outputs_degenerate"]:
            print("   outputs are degenerate (too few distinct values): compare informative_sha1", flush=True)
        print(f"   {results['models'][key]['seconds']:.1f} s", flush=True)
        save(final=False)  # each finished model kept if the run is cut short
    save(final=True)
    print_table(results)
    print(f"\nwrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
