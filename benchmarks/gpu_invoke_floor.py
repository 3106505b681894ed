"""Where the GPU delegate's per-invoke time goes on small models (issue 15: the MLPs' ~80 us floor), and
how a delegate starts in a new process and next to another one.

    python benchmarks/gpu_invoke_floor.py MODELS_DIR --models mlp_2048_int8,mlp_2048_int4 [--threads 16]
        [--out gpu_invoke_floor.json] [--rounds 5] [--per-round 20] [--start-model STEM]

Per model, in one process, interleaved shuffled rounds (medians, ms per inference through
edgeq.runtime's run(): the same path gpu_suite times):
- edgeq-gpu as built (GEMV for few-row FCs with 16-multiple depth, pinned staging, blocking last
  readback), and the same with one change undone each, set through the delegate's environment
  switches at interpreter creation: ``wg-kernel`` (EDGEQ_GPU_FC_KERNEL=wg), ``pageable``
  (EDGEQ_GPU_PINNED=0), ``finish`` (EDGEQ_GPU_SYNC=finish), ``old-path`` (all three: the invoke
  path before this change), ``flush1`` (EDGEQ_GPU_FLUSH=1: clFlush after the first launch); --variants
  picks some;
- edgeq-cpu and LiteRT XNNPACK at --threads;
- each GPU variant's host timeline from its report (``host_ms_per_invoke``: uploads enqueued,
  kernels enqueued, readback + wait, copy out), and device time per FC kernel from OpenCL profiling
  events for the GEMV and the work-group-per-output kernel.
Start (--start-model): child processes that each create two interpreters on the GPU one after the other
and run one inference with each: cold (empty program cache, driver cache off), warm (caches filled by
a previous process); per interpreter the create and first-inference wall times and the report's
startup_ms split, device_reused. Needs numpy, LiteRT and the built delegates only (no TensorFlow).
"""
from __future__ import annotations

import argparse
import json
import os
import re
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

from interleave import interleaved  # noqa: E402

GPU_VARIANTS = {
    "edgeq-gpu": {},
    "wg-kernel": {"EDGEQ_GPU_FC_KERNEL": "wg"},
    "pageable": {"EDGEQ_GPU_PINNED": "0"},
    "finish": {"EDGEQ_GPU_SYNC": "finish"},
    "old-path": {"EDGEQ_GPU_FC_KERNEL": "wg", "EDGEQ_GPU_PINNED": "0", "EDGEQ_GPU_SYNC": "finish"},
    "flush1": {"EDGEQ_GPU_FLUSH": "1"},
}
SWITCHES = ("EDGEQ_GPU_FC_KERNEL", "EDGEQ_GPU_PINNED", "EDGEQ_GPU_SYNC", "EDGEQ_GPU_FLUSH")


def _with_env(env: dict, make):
    saved = {k: os.environ.get(k) for k in SWITCHES}
    for k in SWITCHES:
        os.environ.pop(k, None)
    os.environ.update(env)
    try:
        return make()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stats(xs: list[float]) -> dict:
    a = np.array(xs) * 1e3
    return {"median_ms": float(np.median(a)), "p10_ms": float(np.percentile(a, 10)),
            "p90_ms": float(np.percentile(a, 90)), "runs": len(xs)}


def floor(model_path: Path, threads: int, rounds: int, per_round: int, tmp: Path, variants: list[str]) -> dict:
    from edgeq.runtime import Interpreter

    model = model_path.read_bytes()
    cache = tmp / "cache"
    its, reports = {}, {}
    for name in variants:
        env = GPU_VARIANTS[name]
        reports[name] = tmp / f"{model_path.stem}_{name}.json"
        opts = {"cache_dir": str(cache), "report_path": str(reports[name])}
        its[name] = _with_env(env, lambda o=opts: Interpreter(model, resolver="builtin", delegates=["gpu"],
                                                              num_threads=threads, delegate_options=o))
    its["edgeq-cpu"] = Interpreter(model, resolver="builtin", delegates=["cpu"],
                                   delegate_options={"num_threads": threads})
    its["litert-xnnpack"] = Interpreter(model, resolver="default", num_threads=threads)
    x = [np.random.default_rng(1).integers(-128, 128, s.shape).astype(s.dtype) for s in its["edgeq-gpu"].inputs]
    outs = {}
    for name, it in its.items():
        for _ in range(3):
            outs[name] = it.run(x)
    same = {n: all(np.array_equal(a, b) for a, b in zip(outs["edgeq-gpu"], outs[n])) for n in variants}
    samples = interleaved({n: (lambda it=it: it.run(x)) for n, it in its.items()}, rounds, 7, per_round=per_round)
    res: dict = {"timing": {n: _stats(v) for n, v in samples.items()}, "gpu_variants_agree": same, "host": {},
                 "placement": {}}
    del its
    for name, path in reports.items():
        rep = json.loads(path.read_text())
        parts = rep.get("partitions", [])
        res["host"][name] = [{k: p.get(k) for k in ("host_ms_per_invoke", "first_invoke_ms", "pinned_transfers",
                                                    "sync", "launches", "uploads", "readbacks")} for p in parts]
        res["has_command_buffer_extension"] = rep.get("has_command_buffer_extension")
        res["placement"][name] = {"on_gpu": len(rep.get("claimed", [])), "rejected": len(rep.get("rejected", [])),
                                  "kernels": sorted({k["kernel"] for p in parts for n in p["nodes"]
                                                     for k in n["kernels"]})}
    # device time per kernel (OpenCL events; profile=1 waits for each, so only kernel time is meaningful)
    res["device_ms"] = {}
    for name in [v for v in ("edgeq-gpu", "wg-kernel") if v in variants]:
        rp = tmp / f"{model_path.stem}_{name}_prof.json"
        it = _with_env(GPU_VARIANTS[name], lambda: Interpreter(model, resolver="builtin", delegates=["gpu"], delegate_options={
            "cache_dir": str(cache), "report_path": str(rp), "profile": "1"}))
        for _ in range(20):
            it.run(x)
        del it
        rep = json.loads(rp.read_text())
        prof = rep.get("op_profile") or {}
        res["device_ms"][name] = {"by_node": [(n["node"], n["op"], round(n["ms"], 5)) for n in prof.get("nodes") or []],
                                  "total": sum(n["ms"] for n in prof.get("nodes") or [])}
    return res


_START = r"""
import json, sys, time
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
opts, tmp = json.loads(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
Interpreter(model, resolver="builtin")
out = {"runtime_only_ms": 1e3 * (time.perf_counter() - t), "interpreters": []}
keep = []
for i in range(2):
    rp = f"{tmp}/start_{i}.json"
    t0 = time.perf_counter()
    it = Interpreter(model, resolver="builtin", delegates=["gpu"], delegate_options={**opts, "report_path": rp})
    t1 = time.perf_counter()
    it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
    t2 = time.perf_counter()
    it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
    rep = json.load(open(rp))
    out["interpreters"].append({"create_ms": 1e3 * (t1 - t0), "first_inference_ms": 1e3 * (t2 - t1),
                                "startup_ms": rep.get("startup_ms"), "device_reused": rep.get("device_reused"),
                                "device_choice": rep.get("device_choice"), "program": rep.get("program"),
                                "first_invoke_ms": [p.get("first_invoke_ms") for p in rep.get("partitions", [])]})
    keep.append(it)
del it, keep  # every delegate gone: the next one takes the device they kept
t0 = time.perf_counter()
it = Interpreter(model, resolver="builtin", delegates=["gpu"], delegate_options={**opts, "report_path": f"{tmp}/start_2.json"})
t1 = time.perf_counter()
it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
t2 = time.perf_counter()
it.run([np.zeros(s.shape, s.dtype) for s in it.inputs])
rep = json.load(open(f"{tmp}/start_2.json"))
out["after_release"] = {"create_ms": 1e3 * (t1 - t0), "first_inference_ms": 1e3 * (t2 - t1),
                        "startup_ms": rep.get("startup_ms"), "device_reused": rep.get("device_reused")}
print(json.dumps(out))
"""


def start(model_path: Path, tmp: Path) -> dict:
    cache = tmp / "start_cache"
    opts = {"cache_dir": str(cache)}
    out = {}
    runs = [("cold", {"CUDA_CACHE_DISABLE": "1", "POCL_KERNEL_CACHE": "0"}),
            ("warm_prime", {"CUDA_CACHE_PATH": str(tmp / "cuda_cache")}),
            ("warm", {"CUDA_CACHE_PATH": str(tmp / "cuda_cache")})]
    for label, env in runs:
        res = subprocess.run([sys.executable, "-c", _START, str(model_path), json.dumps(opts), str(tmp)],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=300, cwd=REPO)
        if res.returncode != 0:
            out[label] = {"error": (res.stderr.strip().splitlines() or ["?"])[-1]}
            continue
        out[label] = json.loads(res.stdout.strip().splitlines()[-1])
    # the program binary's kernels that matter here, as the driver compiled them (NVIDIA: PTX text)
    out["program_loads"] = {}
    for b in sorted(cache.glob("edgeq-gpu-*.bin")):
        text = b.read_bytes().decode("latin-1")
        for k in ("fc_gemv_qs8", "fully_connected_wg_qs8"):
            m = re.search(r"\.entry\s+" + k + r"\b(.*?)(?=\.entry\s|\Z)", text, flags=re.S)
            if m:
                body = m.group(1)
                out["program_loads"][k] = {op: len(re.findall(r"\b" + re.escape(op) + r"\b", body))
                                           for op in ("ld.global.u8", "ld.global.s8", "ld.global.v4.u32",
                                                      "ld.global.v2.u32", "ld.global.u32", "ld.global.nc.v4.u32",
                                                      "ld.global.nc.u8", "ld.global.nc.s8", "ld.global.nc.v2.u32",
                                                      "bar.sync")}
                out["program_loads"][k]["lines"] = body.count("\n")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models_dir", type=Path)
    ap.add_argument("--models", default="mlp_2048_int8,mlp_2048_int4")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=20)
    ap.add_argument("--start-model", default="")
    ap.add_argument("--variants", default=",".join(GPU_VARIANTS), help="GPU variants (edgeq-gpu first)")
    ap.add_argument("--time-budget", type=float, default=None, help="seconds: start no model after this")
    ap.add_argument("--out", type=Path, default=Path("gpu_invoke_floor.json"))
    a = ap.parse_args(argv)
    t_start = time.monotonic()
    results: dict = {"threads": a.threads, "method": f"{a.rounds} interleaved shuffled rounds x {a.per_round}, "
                     "median ms per run() (set inputs, invoke, get outputs)", "models": {}, "not_run": []}
    with tempfile.TemporaryDirectory() as tmp:
        if a.start_model:
            results["start"] = start(a.models_dir / f"{a.start_model}.tflite", Path(tmp))
            print(json.dumps({"start": results["start"]}), flush=True)
            a.out.write_text(json.dumps(results, indent=2) + "\n")
        for stem in a.models.split(","):
            if a.time_budget is not None and time.monotonic() - t_start > a.time_budget:
                results["not_run"].append(stem)
                continue
            d = Path(tmp) / stem
            d.mkdir()
            r = floor(a.models_dir / f"{stem}.tflite", a.threads, a.rounds, a.per_round, d, a.variants.split(","))
            results["models"][stem] = r
            print(json.dumps({stem: {"timing": {k: round(v["median_ms"], 4) for k, v in r["timing"].items()},
                                     "host": {k: v[0]["host_ms_per_invoke"] if v else None for k, v in r["host"].items()},
                                     "device_ms": {k: round(v["total"], 4) for k, v in r["device_ms"].items()},
                                     "agree": r["gpu_variants_agree"],
                                     "command_buffer": r.get("has_command_buffer_extension")}}), flush=True)
            a.out.write_text(json.dumps(results, indent=2) + "\n")
    results["elapsed_s"] = time.monotonic() - t_start
    a.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
