"""edgeq-gpu on the model suite: which device the defaults pick, cold/warm start, per-model latency
against edgeq-cpu and LiteRT's XNNPACK at N threads, placement, GEMM/conv kernel rate vs peak.

    python benchmarks/gpu_suite.py prepare DIR [--size 224]        # on a machine with TensorFlow
    python benchmarks/gpu_suite.py run DIR [--threads 16] [--out benchmarks/results/gpu_suite.json]

``prepare`` writes int8 suite models (``edgeq.suite``: MobileNet-V2, MobileNet-V3-Small,
EfficientNet-B0 at --size; more with --models) and a 4096x4096x4096 int8 GEMM (one
FULLY_CONNECTED with a 4096-row batch) into DIR. ``run`` needs only numpy, LiteRT and the built
delegates (EDGEQ_DELEGATE_DIR), so it runs on a GPU machine without TensorFlow. With default
delegate options (no platform/device: the delegate's own device choice) it measures, per model:
- latency of edgeq-gpu (ops it does not claim or the offload model declines run on LiteRT builtin
  kernels at --threads), edgeq-gpu-all (offload=all), edgeq-gpu+cpu (edgeq-cpu behind the GPU
  delegate, both with num_threads=--threads: the offload model declines to it), litert-builtin,
  edgeq-cpu and LiteRT default (XNNPACK) at --threads, interleaved shuffled rounds, medians, ratios;
- placement: nodes claimed by the GPU out of all nodes, partitions (each costs a round trip), kernel
  launches, uploads and readbacks per invoke (from the claim report);
- int8 CONV_2D / DEPTHWISE / FULLY_CONNECTED kernel rate from OpenCL profiling events, against
  the peak estimate of bench_gpu_delegate.py (its assumption is written into the JSON);
- bit-exactness with BUILTIN_REF (benchmarks/gpu_check_bitexact.py; "not checked" where the
  reference resolver dies on the model);
and once: the device the defaults pick (every device seen, and why), the kernel program's cold
compile (driver caches off) and warm load from edgeq's program cache.

``--models a,b`` runs only the models of DIR with those stems, in that order; ``--variants`` picks the timed paths;
``--time-budget S`` starts no model after S seconds (the rest are listed in ``not_run``). The JSON is
rewritten after each model, so a run cut short keeps the models it finished.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

import bench_gpu_delegate as bg  # noqa: E402

DEFAULT_MODELS = ("mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0")
VARIANTS = ("edgeq-gpu", "edgeq-gpu-all", "edgeq-gpu+cpu", "litert-builtin", "edgeq-cpu", "litert-xnnpack")


def prepare(out: Path, size: int, models: list[str], gemm: int) -> None:
    import shutil

    import edgeq
    from edgeq import suite
    from edgeq.datasets import Samples

    out.mkdir(parents=True, exist_ok=True)
    for name in models:
        m = suite.get(name, size=size, variant="int8")
        shutil.copyfile(m.path, out / f"{name}_{size}_int8.tflite")
        print(out / f"{name}_{size}_int8.tflite", flush=True)
    if gemm:
        import tensorflow as tf

        inp = tf.keras.Input((gemm, gemm))  # FULLY_CONNECTED over gemm rows
        net = tf.keras.Model(inp, tf.keras.layers.Dense(gemm, use_bias=True)(inp))
        x = np.random.default_rng(0).standard_normal((2, gemm, gemm)).astype(np.float32)
        edgeq.convert(net, Samples([x])).save(out / f"gemm{gemm}_int8.tflite", manifest_sidecar=False)
        print(out / f"gemm{gemm}_int8.tflite", flush=True)


_PICK = r"""
import json, sys
from edgeq.runtime import Interpreter
Interpreter(open(sys.argv[1], "rb").read(), resolver="builtin", delegates=["gpu"],
            delegate_options={"report_path": sys.argv[2], "cache_dir": sys.argv[3]})
"""


def default_pick(model: Path, tmp: Path) -> dict:
    """The device the delegate takes with default options, in a child process."""
    report = tmp / "pick.json"
    res = subprocess.run([sys.executable, "-c", _PICK, str(model), str(report), str(tmp / "pick_cache")],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    if not report.exists():
        return {"error": (res.stderr.strip().splitlines() or ["no report"])[-1]}
    rep = json.loads(report.read_text())
    return {k: rep.get(k) for k in ("status", "message", "platform", "device", "device_type", "compute_units",
                                    "selection", "devices_seen")}


def placement(model: bytes, cache: Path, threads: int, **opts) -> dict:
    from edgeq.runtime import Interpreter

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        it = Interpreter(model, resolver="builtin", delegates=["gpu"], num_threads=threads,
                         delegate_options={"cache_dir": str(cache), "report_path": str(report), **opts})
        it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
        rep = json.loads(report.read_text())
    rejected: dict[str, int] = {}
    for r in rep.get("rejected", []):
        key = f"{r.get('op')}: {r.get('reason')}"
        rejected[key] = rejected.get(key, 0) + 1
    n = len(rep.get("claimed", [])) + len(rep.get("rejected", []))
    parts = rep.get("partitions", [])
    return {"nodes": n, "on_gpu": len(rep.get("claimed", [])), "partitions": len(parts),
            "whole_model_on_gpu": n > 0 and not rep.get("rejected"), "not_claimed": rejected,
            # per invoke: kernels enqueued, input uploads and output readbacks of every partition
            "launches": sum(len(nd.get("kernels", [])) for pt in parts for nd in pt.get("nodes", [])),
            "uploads": sum(pt.get("uploads", 0) for pt in parts),
            "readbacks": sum(pt.get("readbacks", 0) for pt in parts),
            "offload": rep.get("offload")}


def op_breakdown(model: bytes, cache: Path, runs: int = 5) -> dict:
    """Device ms per invoke by op type (the delegate's op_profile, OpenCL events; profile=1 serializes
    the queue, so the sum can exceed the timed latency's device share)."""
    from edgeq.runtime import Interpreter

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "p.json"
        it = Interpreter(model, resolver="builtin", delegates=["gpu"],
                         delegate_options={"cache_dir": str(cache), "report_path": str(report), "profile": "1"})
        x = [np.random.default_rng(5).integers(-128, 128, s.shape).astype(s.dtype) for s in it.inputs]
        for _ in range(runs):
            it.run(x)
        prof = json.loads(report.read_text()).get("op_profile") or {}
    by: dict[str, float] = {}
    for n in prof.get("nodes") or []:
        by[n["op"]] = by.get(n["op"], 0.0) + n["ms"]
    return {"invokes": prof.get("invokes"), "device_ms_by_op": dict(sorted(by.items(), key=lambda kv: -kv[1])),
            "device_ms_total": sum(by.values())}


def _big_gemm(p: Path) -> bool:
    digits = "".join(c for c in p.stem.split("_")[0] if c.isdigit())
    return p.stem.startswith("gemm") and int(digits or 0) >= 1024


def run(models_dir: Path, threads: int, out: Path, rounds: int, per_round: int, check: bool,
        models: list[str] | None = None, variants: list[str] | None = None, time_budget: float | None = None,
        note: str = "") -> int:
    from edgeq.atomic import write_text_atomic
    from edgeq.runtime import find_runtime

    t_start = time.monotonic()
    paths = sorted(models_dir.glob("*.tflite"))
    if models:
        missing = sorted(set(models) - {p.stem for p in paths})
        if missing:
            raise SystemExit(f"not in {models_dir}: {', '.join(missing)}")
        by_stem = {p.stem: p for p in paths}
        paths = [by_stem[m] for m in dict.fromkeys(models)]  # in the order given (a cut run keeps the first)
    if not paths:
        raise SystemExit(f"no .tflite models in {models_dir}: run 'gpu_suite.py prepare {models_dir}' first")
    bad = sorted(set(variants or ()) - set(VARIANTS))
    if bad:
        raise SystemExit(f"unknown variant {bad[0]!r}: choose from {', '.join(VARIANTS)}")
    args = argparse.Namespace(platform=None, device=None, threads=threads, profile_runs=5)
    results: dict = {"runtime": find_runtime().describe(), "threads": threads, "models": {}, "note": note,
                     "not_run": [], "complete": False,
                     "method": (f"{rounds} interleaved shuffled rounds x {per_round} inferences per variant, median; "
                                f"edgeq-cpu and LiteRT XNNPACK at {threads} threads; edgeq-gpu with default options")}
    with tempfile.TemporaryDirectory() as tmp:
        results["default_device"] = default_pick(paths[0], Path(tmp))
        print(json.dumps({k: v for k, v in results["default_device"].items() if k != "devices_seen"}), flush=True)
        program = bg.program_compile_time(args, paths[0])
        dev = program["device"]
        results["device"] = dev
        def to_first(r: dict) -> float | None:  # a start as a user sees it: interpreter created, first result out
            f = r.get("first_inference_ms")
            return None if f is None else r["interpreter_create_ms"] + f

        wp = program.get("warm_process") or {}
        results["start"] = {
            "definitions": "cold: new process, empty program cache, driver caches off; warm: new process, edgeq's "
                           "program cache and the driver's filled by an earlier process; second_interpreter: another "
                           "interpreter in the cold process after the first was destroyed (the delegate keeps the "
                           "device, context and program for it); *_ms: interpreter created + first inference",
            "cold_ms": to_first(program["first_run"]),
            "cold_create_ms": program["first_run"]["interpreter_create_ms"],
            "cold_first_inference_ms": program["first_run"].get("first_inference_ms"),
            "cold_compile_ms": program["first_run"]["compile_ms"],
            "warm_ms": to_first(wp) if wp else None,
            "warm_create_ms": wp.get("interpreter_create_ms"),
            "warm_cache_load_ms": wp.get("cache_load_ms"), "warm_cache_hit": wp.get("cache_hit"),
            "second_interpreter_ms": to_first(program["cached"]),
            "second_interpreter_reused": program["cached"].get("device_reused"),
            "model": paths[0].name, "phases": {k: v for k, v in program.items() if k != "device"}}
        opc, why = bg.peak_assumption(dev, None)
        peak = (dev.get("compute_units") or 1) * (dev.get("max_clock_mhz") or 1) * 1e6 * opc / 1e9
        results["peak_estimate"] = {"gops": peak, "ops_per_cycle_per_cu": opc, "assumption": why}
        # BUILTIN_REF is single-threaded reference code: the GEMM's 69 G multiply-adds are left out
        exact = {p.stem: bg.matches_reference(p, args) for p in paths if check and not _big_gemm(p)}
        cache = Path(tmp) / "cache"
        configs = bg.variants(args, cache, have_cpu=True)
        # the runtime at N threads: the offload model compares with that CPU path, and what the delegate
        # declines runs there; edgeq-gpu-all: every claimed node on the device; litert-builtin: that CPU path alone
        configs["edgeq-gpu"]["num_threads"] = threads
        configs["edgeq-gpu-all"] = dict(configs["edgeq-gpu"], delegate_options={
            **configs["edgeq-gpu"]["delegate_options"], "offload": "all"})
        configs["litert-builtin"] = dict(resolver="builtin", num_threads=threads)
        # the GPU with edgeq-cpu behind it: the offload model compares with (and declines to) N threads
        configs["edgeq-gpu+cpu"] = dict(resolver="builtin", delegates=["gpu", "cpu"],
                                        delegate_options={"num_threads": threads})
        if variants:
            configs = {k: v for k, v in configs.items() if k in variants}
        results["variants"] = list(configs)
        for p in paths:
            if time_budget is not None and time.monotonic() - t_start > time_budget:
                results["not_run"].append(p.stem)
                print(f"== {p.stem}: not run (--time-budget {time_budget:g} s spent)", flush=True)
                continue
            t_model = time.monotonic()
            model = p.read_bytes()
            print(f"== {p.stem}", flush=True)
            timing = bg.time_variants(model, configs, rounds, per_round, seed=len(p.stem))
            entry: dict = {"bytes": len(model), "timing": timing, "ratios": {},
                           "placement": placement(model, cache, threads),
                           "placement_gpu+cpu": placement(model, cache, threads, num_threads=threads)}
            for gv in ("edgeq-gpu", "edgeq-gpu-all", "edgeq-gpu+cpu"):
                g = timing.get(gv, {}).get("median_ms")
                for base in ("litert-xnnpack", "edgeq-cpu"):
                    b = timing.get(base, {}).get("median_ms")
                    if g and b:
                        entry["ratios"][f"speedup_{gv}_vs_{base}"] = b / g
            entry["kernels"] = bg.kernel_throughput(model, args, cache, peak)
            entry["op_profile"] = op_breakdown(model, cache)
            entry["gpu_bit_exact_with_reference"] = exact.get(p.stem, "not checked (--no-check)")
            entry["seconds"] = time.monotonic() - t_model
            results["models"][p.stem] = entry
            print(json.dumps({"timing": {k: v.get("median_ms") for k, v in timing.items()},
                              "placement": {k: {q: entry[k].get(q) for q in ("nodes", "on_gpu", "partitions",
                                                                            "launches")}
                                            for k in ("placement", "placement_gpu+cpu")},
                              "kernels": {k: round(v["fraction_of_peak"], 4) for k, v in entry["kernels"].items()},
                              "device_ms_by_op": {k: round(v, 3) for k, v in
                                                  entry["op_profile"]["device_ms_by_op"].items()},
                              "exact": entry["gpu_bit_exact_with_reference"]}), flush=True)
            results["elapsed_s"] = time.monotonic() - t_start
            write_text_atomic(out, json.dumps(results, indent=2) + "\n")  # each model kept if a later one hangs
    results["complete"], results["elapsed_s"] = True, time.monotonic() - t_start
    write_text_atomic(out, json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="write the int8 models (needs TensorFlow)")
    p.add_argument("dir", type=Path)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma list of edgeq.suite names")
    p.add_argument("--gemm", type=int, default=4096, help="GEMM size (0: none)")
    r = sub.add_parser("run", help="measure (no TensorFlow needed)")
    r.add_argument("dir", type=Path)
    r.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--per-round", type=int, default=3)
    r.add_argument("--no-check", action="store_true", help="skip the BUILTIN_REF comparison")
    r.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu_suite.json")
    r.add_argument("--models", help="comma list of model stems in DIR (default: every .tflite there)")
    r.add_argument("--variants", help=f"comma list of timed paths (default all: {', '.join(VARIANTS)})")
    r.add_argument("--time-budget", type=float, help="seconds: start no model after this")
    r.add_argument("--note", default="", help="free text stored with the results")
    a = ap.parse_args(argv)
    if a.cmd == "prepare":
        prepare(a.dir, a.size, [m for m in a.models.split(",") if m], a.gemm)
        return 0
    split = lambda v: [x for x in (v or "").split(",") if x] or None  # noqa: E731
    return run(a.dir, a.threads, a.out, a.rounds, a.per_round, not a.no_check, split(a.models), split(a.variants),
               a.time_budget, a.note)


if __name__ == "__main__":
    sys.exit(main())
