"""edgeq-cpu against LiteRT's own CPU paths, side by side in one run.

    python benchmarks/bench_cpu_vs_litert.py [--quick] [--out benchmarks/results/cpu_vs_litert.json]

Models: an int8 MobileNet-V2 (224x224, width 1.0), the demo digits CNN, and an int4-weight
FC-heavy MLP (4096 wide). Paths: LiteRT default (XNNPACK), LiteRT builtin optimized kernels,
LiteRT reference kernels, edgeq-cpu (the delegate, with the builtin kernels for anything it
does not claim) and edgeq-cpu-fast (the same with delegate option mode=fast: fp32
requantization in conv / FC / depthwise, within +-1 of the reference), each at 1 and 2 threads. Configurations are interleaved round by round in a
shuffled order so drift (thermal, other load) hits them alike; the figure quoted is the median
of every timed inference, and ratios are taken against XNNPACK and builtin from the same run.
Resident memory is measured per configuration in a fresh process (VmRSS growth over load).
Each path is first loaded and run once in a fresh process: a path that crashes on a model
(LiteRT 2.3's reference kernels abort on MobileNet-V2 224) is reported as an error instead of
ending the run. Per-op time inside the delegate: set EDGEQ_CPU_PROFILE=1.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# numpy's OpenBLAS workers busy-wait after use and would steal cores from the paths under test
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache"

import numpy as np  # noqa: E402
from interleave import cpu_name, interleaved, stats_ms  # noqa: E402

PATHS = {  # name → (resolver, delegates)
    "xnnpack": ("default", []),
    "builtin": ("builtin", []),
    "reference": ("reference", []),
    "edgeq-cpu": ("builtin", ["cpu"]),
    "edgeq-cpu-fast": ("builtin", ["cpu"]),
}
PATH_OPTIONS = {"edgeq-cpu-fast": {"mode": "fast"}}  # delegate options beyond num_threads
EDGEQ_PATHS = ("edgeq-cpu", "edgeq-cpu-fast")


def _path_spec(path: str) -> str:
    """[resolver, delegates, delegate options] as JSON, for the fresh-process snippets."""
    return json.dumps([*PATHS[path], PATH_OPTIONS.get(path) or None])


def build_models(quick: bool) -> dict[str, Path]:
    """Int8/int4 models, cached under benchmarks/.cache (conversion is not what we time)."""
    import edgeq
    from edgeq import zoo
    from edgeq.datasets import Samples

    CACHE.mkdir(parents=True, exist_ok=True)
    models = {}
    mb = CACHE / ("mobilenet_v2_int8_q.tflite" if quick else "mobilenet_v2_int8.tflite")
    if not mb.exists():
        res = 96 if quick else 224
        m = zoo.mobilenet_v2((res, res, 3), alpha=1.0)
        x = np.random.default_rng(0).random((8, res, res, 3), dtype=np.float32)
        edgeq.convert(m, Samples([x])).save(mb, manifest_sidecar=False)
    models["mobilenet_v2"] = mb

    demo = CACHE / "digits_int8.tflite"
    if not demo.exists():
        sys.path.insert(0, str(REPO / "apps" / "demo"))
        import digits
        import model as demo_model

        k = demo_model.train(CACHE / "digits.keras")
        paths = digits.write_npz(CACHE)
        edgeq.convert(k, paths["calib"]).save(demo, manifest_sidecar=False)
    models["demo"] = demo

    mlp8 = CACHE / "mlp4096_int8.tflite"
    mlp4 = CACHE / "mlp4096_int4.tflite"
    if not mlp4.exists():
        width = 1024 if quick else 4096
        m = zoo.mlp(inputs=width, hidden=width, layers=3)
        x = np.random.default_rng(0).standard_normal((8, width)).astype(np.float32)
        r = edgeq.convert(m, Samples([x]))
        r.save(mlp8, manifest_sidecar=False)
        try:
            from edgeq.int4 import to_int4
        except ImportError:
            to_int4 = None
        if to_int4 is not None:
            q4, _ = to_int4(r.model, float_model=r.float_model)
            mlp4.write_bytes(q4)
    models["mlp4096_int8"] = mlp8
    if mlp4.exists():
        models["mlp4096_int4"] = mlp4
    return models


def _interp(model: bytes, path: str, threads: int):
    from edgeq.runtime import Interpreter

    resolver, delegates = PATHS[path]
    opts = {"num_threads": threads, **PATH_OPTIONS.get(path, {})} if delegates else None
    return Interpreter(model, resolver=resolver, delegates=delegates, delegate_options=opts, num_threads=threads)


PROBE_SNIPPET = r"""
import sys, json
sys.path.insert(0, sys.argv[3])
from edgeq.runtime import Interpreter
import numpy as np
resolver, delegates, opts = json.loads(sys.argv[2])
it = Interpreter(open(sys.argv[1], 'rb').read(), resolver=resolver, delegates=delegates, delegate_options=opts,
                 num_threads=1)
it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
"""


def probe(model_path: Path, path: str) -> str | None:
    """Loads and runs the model once on ``path`` in a fresh process: a runtime path that aborts on a
    model (LiteRT 2.3's reference resolver does on MobileNet-V2 224) must not take the benchmark down.
    Returns None when it runs, else why not."""
    res = subprocess.run([sys.executable, "-c", PROBE_SNIPPET, str(model_path), _path_spec(path), str(REPO)],
                         capture_output=True, text=True, timeout=900)
    if res.returncode == 0:
        return None
    tail = [ln for ln in res.stderr.strip().splitlines() if ln.strip()][-1:] or [""]
    return f"process exited with status {res.returncode} loading/running the model: {tail[0][:200]}"


def time_configs(model: bytes, configs: list[tuple[str, int]], rounds: int, min_time: float, seed: int,
                 broken: dict[str, str] | None = None) -> dict:
    """Interleaved rounds: each round runs every configuration for ``min_time`` seconds (at least once).
    Paths in ``broken`` (path → reason, from probe()) are reported as errors, not run."""
    interps = {}
    for path, threads in configs:
        if broken and path in broken:
            interps[(path, threads)] = RuntimeError(broken[path])
            continue
        try:
            interps[(path, threads)] = _interp(model, path, threads)
        except Exception as e:  # noqa: BLE001 - a path that cannot run this model is reported, not fatal
            interps[(path, threads)] = e
    x = None
    for it in interps.values():
        if not isinstance(it, Exception):
            x = [np.random.default_rng(1).integers(-128, 128, s.shape).astype(s.dtype) for s in it.inputs]
            for _ in range(2):  # warm-up: first inferences allocate and pack
                it.run(x)
            break
    for it in interps.values():
        if not isinstance(it, Exception):
            it.run(x)
    ok = {k: it for k, it in interps.items() if not isinstance(it, Exception)}
    samples = interleaved({k: (lambda it=it: it.run(x)) for k, it in ok.items()}, rounds, seed, min_time=min_time)
    return {f"{path}@{threads}": stats_ms(samples[(path, threads)]) if (path, threads) in ok
            else {"error": str(it).splitlines()[0]} for (path, threads), it in interps.items()}


RSS_SNIPPET = r"""
import sys, json
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
sys.path.insert(0, sys.argv[4])
from edgeq.runtime import Interpreter
import numpy as np
model = open(sys.argv[1], 'rb').read()
resolver, delegates, opts = json.loads(sys.argv[2])
before = rss()
it = Interpreter(model, resolver=resolver, delegates=delegates, delegate_options=opts, num_threads=int(sys.argv[3]))
it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
print(json.dumps({"rss_growth_bytes": rss() - before}))
"""


def resident_memory(model_path: Path, path: str) -> int | None:
    """RSS growth from creating the interpreter and running once, in a fresh process."""
    res = subprocess.run([sys.executable, "-c", RSS_SNIPPET, str(model_path), _path_spec(path), "1",
                          str(REPO)], capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])["rss_growth_bytes"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small models and short runs (a smoke test)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per configuration per round")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "cpu_vs_litert.json")
    args = ap.parse_args(argv)
    from edgeq.runtime import DelegateError, delegate_path, find_runtime

    try:
        delegate_path("cpu")
        have_delegate = True
    except DelegateError:
        have_delegate = False
    models = build_models(args.quick)
    results: dict = {"runtime": find_runtime().describe(), "cpu": cpu_name(), "models": {},
                     "method": "interleaved shuffled rounds; median of all timed inferences"}
    for name, path in models.items():
        paths = [p for p in PATHS if have_delegate or p not in EDGEQ_PATHS]
        if name.startswith("mobilenet") and not args.quick:
            rounds = max(2, args.rounds // 2)
        else:
            rounds = args.rounds
        configs = [(p, t) for p in paths for t in (1, 2)]
        print(f"== {name}: {', '.join(f'{p}@{t}' for p, t in configs)}", flush=True)
        broken = {p: why for p in paths if (why := probe(path, p))}
        timing = time_configs(path.read_bytes(), configs, rounds, args.min_time, seed=len(name), broken=broken)
        entry = {"bytes": path.stat().st_size, "timing": timing}
        for t in (1, 2):
            for mine in EDGEQ_PATHS:
                e = timing.get(f"{mine}@{t}", {})
                for base in ("xnnpack", "builtin", "edgeq-cpu"):
                    b = timing.get(f"{base}@{t}", {})
                    if base != mine and "median_ms" in e and "median_ms" in b:
                        entry.setdefault("ratios", {})[f"{mine}/{base}@{t}"] = e["median_ms"] / b["median_ms"]
            e = timing.get(f"edgeq-cpu@{t}", {})
            if "median_ms" in timing.get(f"edgeq-cpu@1", {}) and "median_ms" in e and t == 2:
                entry.setdefault("ratios", {})["edgeq-cpu 2-thread speedup"] = (
                    timing["edgeq-cpu@1"]["median_ms"] / e["median_ms"])
        if name.startswith("mlp"):
            entry["rss_growth_bytes"] = {p: resident_memory(path, p) for p in paths if p != "reference"}
        results["models"][name] = entry
        print_table(name, entry)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


def print_table(name: str, entry: dict) -> None:
    print(f"{'config':<16} {'median ms':>10} {'p10':>8} {'p90':>8} {'runs':>6}")
    for k, v in entry["timing"].items():
        if "error" in v:
            print(f"{k:<16} error: {v['error'][:60]}")
        else:
            print(f"{k:<16} {v['median_ms']:>10.3f} {v['p10_ms']:>8.3f} {v['p90_ms']:>8.3f} {v['runs']:>6}")
    for k, v in entry.get("ratios", {}).items():
        print(f"  {k}: {v:.2f}")
    for k, v in entry.get("rss_growth_bytes", {}).items():
        print(f"  resident growth {k}: {v / 1e6:.1f} MB" if v else f"  resident growth {k}: n/a")


if __name__ == "__main__":
    sys.exit(main())
