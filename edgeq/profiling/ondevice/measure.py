"""Device-side measurement: what the agent runs next to the model.

Needs only numpy, one TFLite runtime and the files the host pushes with it (this package and
``edgeq/runtime.py``). The method follows
TFLite's benchmark_model, with the gaps it leaves closed:

* phases apart: load/init, first inference, warm-up, steady state;
* warm-up and steady state each stop on a minimum count AND a minimum time, with a cap;
* configurations (delegate × threads) interleaved in seeded shuffled rounds, every sample kept;
* memory in its own pass (a fresh process per configuration, VmHWM), never while timing;
* energy in its own pass: an idle window, then an inference window, same meter, same length.
"""
from __future__ import annotations

import gc
import json
import math
import os
import platform
import random
import subprocess
import tempfile
import time
from typing import Any, Callable

import numpy as np

from ...runtime import Interpreter
from . import stats
from .energy.base import energy_per_inference, window_seconds
from .energy.detect import detect_reader
from .placement import placement_of

#: delegate names users give → how edgeq's runtime layer builds that interpreter
DELEGATES = {
    "none": {"resolver": "builtin", "delegates": []},
    "xnnpack": {"resolver": "default", "delegates": []},
    "cpu": {"resolver": "builtin", "delegates": ["cpu"]},
    "gpu": {"resolver": "builtin", "delegates": ["gpu"]},
}

#: the measurement options and their defaults (the host's DEFAULT_OPTIONS start from these)
MEASURE_DEFAULTS = {
    "warmup_runs": 1, "warmup_min_secs": 0.5, "min_runs": 50, "min_secs": 1.0, "max_secs": 150.0,
    "rounds": 3, "seed": 0, "affinity": None, "memory": True,
    "energy": {"source": "auto", "root": "/", "window_s": None, "options": {}},
    "sysfs_root": "/",
}

#: why a configuration has no per-op times, by delegate
OP_PROFILE_UNAVAILABLE = {
    "none": "LiteRT's Python interpreter exposes no per-op profiler for its builtin kernels "
            "(benchmark_model --enable_op_profiling=true on the device has one)",
    "xnnpack": "LiteRT's Python interpreter exposes no per-op profiler for XNNPACK "
               "(benchmark_model --enable_op_profiling=true on the device has one)",
    "cpu": "the edgeq-cpu delegate claimed no node of this model (its timers cover only the nodes it runs)",
    "gpu": "the edgeq-gpu delegate's OpenCL event times could not be read",
}

#: inferences of the per-op pass of the GPU delegate (profile=1, its own interpreter)
GPU_PROFILE_RUNS = 5

Emit = Callable[[str, dict], None]


def _label(cfg: dict) -> str:
    return f"{cfg['delegate']}/t{cfg['threads']}"


def make_interpreter(model: str, cfg: dict, delegate_options: dict | None = None) -> Interpreter:
    """The interpreter of one configuration (delegate × threads), as every pass of the measurement builds it;
    the configuration's own delegate options (``--delegate-option``) under the pass's ``delegate_options``."""
    d = DELEGATES[cfg["delegate"]]
    opts = {**(cfg.get("options") or {}), **(delegate_options or {})} if d["delegates"] else delegate_options
    return Interpreter(model, resolver=d["resolver"], delegates=d["delegates"], num_threads=int(cfg["threads"]),
                       delegate_options=opts or None)


def _gpu_op_profile(model: str, cfg: dict, seed: int) -> dict:
    """Per-node device times of the edgeq-gpu delegate from OpenCL profiling events (delegate option
    profile=1), in an interpreter of its own: events serialize the queue, so never the timed one."""
    with tempfile.TemporaryDirectory(prefix="edgeq-gpu-profile-") as tmp:
        path = os.path.join(tmp, "report.json")
        try:
            interp = make_interpreter(model, cfg, {"profile": "1", "report_path": path})
            x = _random_inputs(interp, seed)
            interp.run(x)  # warm-up, not counted
            with open(path) as f:
                warm = json.load(f).get("op_profile") or {}
            for _ in range(GPU_PROFILE_RUNS):
                interp.run(x)
            with open(path) as f:
                prof = json.load(f).get("op_profile") or {}
            del interp
        except Exception as e:  # noqa: BLE001 - the timed run already said whether it loads
            return {"available": False, "reason": f"the profiling interpreter failed: {str(e).strip()[:200]}"}
    if not prof.get("available"):
        return {"available": False, "reason": "the delegate ran no node on the device (see placement)"}
    # the report sums from the first run: take the warm-up out
    n, n0 = int(prof["invokes"]), int(warm.get("invokes") or 0)
    w = {x["node"]: x["ms"] * n0 for x in warm.get("nodes") or []}
    nodes = [{**x, "ms": (x["ms"] * n - w.get(x["node"], 0.0)) / max(n - n0, 1)} for x in prof["nodes"]]
    return {**prof, "invokes": n - n0, "nodes": nodes}


def _random_inputs(interp: Interpreter, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for spec in interp.inputs:
        if np.issubdtype(spec.dtype, np.integer):
            info = np.iinfo(spec.dtype)
            out.append(rng.integers(info.min, info.max, size=spec.shape, endpoint=True).astype(spec.dtype))
        else:
            out.append(rng.standard_normal(spec.shape).astype(spec.dtype))
    return out


class _Runner:
    """One configuration's interpreter with its inputs already set, timed on invoke() alone."""

    def __init__(self, model: str, cfg: dict, seed: int):
        self.cfg = cfg
        # edgeq's delegates write their claim report: how this interpreter's start went (program compiled or cached)
        self._report_dir = tempfile.TemporaryDirectory(prefix="edgeq-start-") if DELEGATES[cfg["delegate"]]["delegates"] \
            else None
        opts = {"report_path": os.path.join(self._report_dir.name, "report.json")} if self._report_dir else None
        t0 = time.perf_counter()
        self.interp = make_interpreter(model, cfg, opts)
        self.load_s = time.perf_counter() - t0
        self.inputs = _random_inputs(self.interp, seed)
        raw = self.interp.raw
        for spec, x in zip(self.interp.inputs, self.inputs):
            raw.set_tensor(spec.index, x)
        self.invoke = raw.invoke

    def start(self) -> dict | None:
        """The delegate's own account of this interpreter's start: OpenCL program compiled (cold) or loaded from
        edgeq's cache (warm), and its startup phases in ms; None when the delegate says nothing of it."""
        if self._report_dir is None:
            return None
        try:
            with open(os.path.join(self._report_dir.name, "report.json")) as f:
                rep = json.load(f)
        except (OSError, ValueError):
            return None
        prog = rep.get("program") or {}
        if not prog:
            return None
        # reused: the context and program of another delegate of this process (no compile, no cache load)
        return {"cold": not prog.get("cache_hit") and not prog.get("reused"), "compile_ms": prog.get("compile_ms"),
                "cache_load_ms": prog.get("cache_load_ms"), "reused": bool(prog.get("reused")),
                "startup_ms": rep.get("startup_ms")}

    def once(self) -> float:
        # input copy stays outside the timed region, as in benchmark_model
        t0 = time.perf_counter()
        self.invoke()
        return time.perf_counter() - t0

    def loop(self, min_runs: int, min_secs: float, max_secs: float) -> tuple[list[float], str]:
        """Run until ≥min_runs AND ≥min_secs, or the max_secs cap; samples in ms and why it stopped."""
        samples: list[float] = []
        start = time.perf_counter()
        while True:
            samples.append(self.once() * 1e3)
            elapsed = time.perf_counter() - start
            if elapsed >= max_secs:
                return samples, "max_secs cap"
            if len(samples) >= min_runs and elapsed >= min_secs:
                return samples, "min_runs and min_secs reached"


def read_environment(root: str = "/") -> dict:
    """Governor, thermal zones and CPU facts where readable (None otherwise)."""
    def text(rel: str) -> str | None:
        try:
            with open(os.path.join(root, rel)) as f:
                return f.read().strip()
        except OSError:
            return None

    thermal = {}
    base = os.path.join(root, "sys/class/thermal")
    if os.path.isdir(base):
        for z in sorted(os.listdir(base)):
            if z.startswith("thermal_zone"):
                t = text(f"sys/class/thermal/{z}/temp")
                if t is not None and t.lstrip("-").isdigit():
                    thermal[(text(f"sys/class/thermal/{z}/type") or z)] = int(t) / 1000.0
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    return {"governor": text("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            "thermal_c": thermal or None, "cpu_count": os.cpu_count(), "affinity": affinity,
            "machine": platform.machine(), "system": platform.system(), "release": platform.release(),
            "python": platform.python_version()}


def _proc_status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _pss_bytes() -> int | None:
    """Proportional set size now (shared pages divided among their users), what Android's
    ``dumpsys meminfo`` reports; None where the kernel has no ``smaps_rollup`` (before Linux 4.14)."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_child(model: str, cfg: dict, seed: int) -> dict:
    """Runs in a fresh process: RSS before load, high-water after load and after inferences."""
    from ...runtime import find_runtime
    find_runtime()  # import the runtime first so the load growth is the model's, not the library's
    before = _proc_status_bytes("VmRSS")
    r = _Runner(model, cfg, seed)
    after_load = _proc_status_bytes("VmHWM")
    for _ in range(3):
        r.once()
    peak = _proc_status_bytes("VmHWM")
    if before is None or peak is None:
        return {"available": False, "reason": "/proc/self/status has no VmRSS/VmHWM on this system"}
    return {"available": True, "rss_before_load_bytes": before, "peak_rss_after_load_bytes": after_load,
            "peak_rss_bytes": peak, "load_growth_bytes": after_load - before,
            "inference_growth_bytes": peak - after_load, "pss_bytes": _pss_bytes()}


def _memory_pass(model: str, cfg: dict, seed: int, child_argv: list[str]) -> dict:
    """``child_argv`` + (model, config, seed) runs :func:`memory_child` in a fresh process, prints its JSON."""
    try:
        p = subprocess.run([*child_argv, model, json.dumps(cfg), str(seed)], capture_output=True, text=True,
                           timeout=300)
    except subprocess.TimeoutExpired:
        return {"available": False, "reason": "memory pass timed out after 300 s"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"available": False, "reason": f"memory pass failed: {last}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def _energy_pass(runner: _Runner, reader: Any, window_s: float) -> dict:
    def one() -> int:
        runner.invoke()
        return 1
    return energy_per_inference(reader, one, window_s)


def _ops(interp: Interpreter) -> list[str] | None:
    try:
        return [d["op_name"] for d in interp.raw._get_ops_details()]
    except Exception:  # noqa: BLE001 - op list is informative only
        return None


def cpu_op_profile(model: str, cfg: dict, seed: int, runs: int = 20) -> dict:
    """The edgeq-cpu delegate's own per-node timers, from a separate interpreter (never the timed
    one) that appends them to a ``profile_path`` file when it is freed: mean ms per invoke of each
    node it ran (a fused pair shows as LOGISTIC+MUL and LOGISTIC (fused), or PAD+MAX_POOL_2D and PAD (fused)).

    At one thread the timers read the thread's CPU time (``profile_clock=thread``): in wall time a busy
    machine's waits for a core landed on whichever node was running (a 2-core machine at load 14: the nodes
    added up to 15.1 ms per inference, 12x the 1.22 ms steady-state median, ADD 65 % of it). With more
    threads the workers' share is not in the calling thread's CPU time, so the clock stays wall time."""
    one = int(cfg["threads"]) == 1
    with tempfile.TemporaryDirectory(prefix="edgeq-op-profile-") as tmp:
        path = os.path.join(tmp, "ops.jsonl")
        try:
            opts = {"num_threads": int(cfg["threads"]), "profile_path": path}
            try:
                it = make_interpreter(model, cfg, {**opts, **({"profile_clock": "thread"} if one else {})})
            except Exception as e:  # noqa: BLE001 - a delegate built before profile_clock: its wall time
                if "profile_clock" not in str(e):
                    raise
                it = make_interpreter(model, cfg, opts)
            xs = _random_inputs(it, seed)
            for _ in range(runs):
                it.run(xs)
            del it
            gc.collect()  # the delegate kernels write their lines when the interpreter is freed
            parts = []
            if os.path.exists(path):
                with open(path) as f:
                    parts = [json.loads(line) for line in f if line.strip()]
        except Exception as e:  # noqa: BLE001 - the timed run already said whether it loads
            return {"available": False, "reason": f"the profiling interpreter failed: {str(e).strip()[:200]}"}
    if not parts:
        return {"available": False, "reason": OP_PROFILE_UNAVAILABLE["cpu"]}
    nodes = sorted((n for part in parts for n in part["nodes"]), key=lambda n: n["node"])
    clock = parts[0].get("clock", "wall")
    how = "thread CPU time" if clock == "thread" else "wall time"
    return {"available": True,
            "source": f"edgeq-cpu delegate timers (profile_path, {how}), a separate pass of {runs} invokes",
            "clock": clock, "invokes": int(parts[0]["invokes"]), "nodes": nodes}


def measure(model: str, configs: list[dict], options: dict | None = None, emit: Emit | None = None,
            memory_child_argv: list[str] | None = None) -> dict:
    """Measure every configuration of ``model``; emits ``config`` events as each one completes.

    ``memory_child_argv`` starts the fresh process of the memory pass (``pushed_edgeq.main`` of the
    agent); without it there is no memory pass.
    """
    o = {**MEASURE_DEFAULTS, **(options or {})}
    emit = emit or (lambda kind, payload: None)
    for c in configs:
        if c["delegate"] not in DELEGATES:
            raise ValueError(f"unknown delegate '{c['delegate']}': choose from {', '.join(DELEGATES)}")
    if o["affinity"]:
        os.sched_setaffinity(0, [int(c) for c in o["affinity"]])
    rng = random.Random(int(o["seed"]))
    env_before = read_environment(o["sysfs_root"])
    labels = [_label(c) for c in configs]
    results: dict[str, dict] = {lab: {"config": c, "label": lab} for lab, c in zip(labels, configs)}
    total_steps = len(configs) * (5 + max(1, int(o["rounds"])))
    step = 0
    t_start = time.perf_counter()
    timeline: list[dict] = []

    def phase(name: str, lab: str, t0: float) -> None:
        """Record that ``name`` of ``lab`` ran from ``t0`` until now (seconds since the measurement began)."""
        timeline.append({"phase": name, "config": lab, "start_s": round(t0 - t_start, 6),
                         "end_s": round(time.perf_counter() - t_start, 6)})

    def progress(what: str) -> None:
        nonlocal step
        step += 1
        emit("progress", {"step": step, "total": total_steps, "what": what})

    # phase 1: load/init and first inference
    runners: dict[str, _Runner] = {}
    order = list(labels)
    rng.shuffle(order)
    for lab in order:
        t0 = time.perf_counter()
        try:
            r = _Runner(model, results[lab]["config"], int(o["seed"]))
        except Exception as e:  # noqa: BLE001 - one configuration failing must not sink the others
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            results[lab]["error"] = f"{lab} cannot run: {msg}"
            emit("config", results[lab])
            progress(f"load {lab} failed")
            continue
        runners[lab] = r
        results[lab]["load_ms"] = r.load_s * 1e3
        phase("load", lab, t0)
        t0 = time.perf_counter()
        results[lab]["first_inference_ms"] = r.once() * 1e3
        phase("first inference", lab, t0)
        results[lab]["runtime"] = r.interp.describe()
        start = r.start()
        if start is not None:
            results[lab]["delegate_start"] = start
        progress(f"load {lab}")
    order = [lab for lab in order if lab in runners]
    labels_ok = [lab for lab in labels if lab in runners]
    # phase 2: warm-up
    for lab in order:
        t0 = time.perf_counter()
        s, why = runners[lab].loop(int(o["warmup_runs"]), float(o["warmup_min_secs"]), float(o["max_secs"]))
        phase("warm-up", lab, t0)
        results[lab]["warmup"] = {**stats.summarize(s), "samples_ms": s, "stop": why}
        progress(f"warm-up {lab}")
    # phase 3: steady state, interleaved in shuffled rounds
    rounds = max(1, int(o["rounds"]))
    share_runs = max(1, math.ceil(int(o["min_runs"]) / rounds))
    share_secs, share_cap = float(o["min_secs"]) / rounds, float(o["max_secs"]) / rounds
    samples: dict[str, list[float]] = {lab: [] for lab in labels}
    stops: dict[str, list[str]] = {lab: [] for lab in labels}
    schedule = []
    for rnd in range(rounds):
        order = list(labels_ok)
        rng.shuffle(order)
        schedule.append(order)
        for lab in order:
            t0 = time.perf_counter()
            s, why = runners[lab].loop(share_runs, share_secs, share_cap)
            phase("steady state", lab, t0)
            samples[lab].extend(s)
            stops[lab].append(why)
            progress(f"round {rnd + 1} {lab}")
    for lab in labels_ok:
        results[lab]["steady"] = {**stats.summarize(samples[lab]), "samples_ms": samples[lab],
                                  "stop": "max_secs cap" if "max_secs cap" in stops[lab]
                                  else "min_runs and min_secs reached"}
        results[lab]["op_profile"] = {"available": False,
                                      "reason": OP_PROFILE_UNAVAILABLE[results[lab]["config"]["delegate"]],
                                      "ops": _ops(runners[lab].interp)}
        if results[lab]["config"]["delegate"] == "gpu":
            prof = _gpu_op_profile(model, results[lab]["config"], int(o["seed"]))
            results[lab]["op_profile"] = prof if prof["available"] else {**results[lab]["op_profile"], **prof}
        if results[lab]["config"]["delegate"] == "cpu":
            prof = cpu_op_profile(model, results[lab]["config"], int(o["seed"]))
            base = results[lab]["op_profile"]  # the runtime's op list stays either way
            results[lab]["op_profile"] = {"ops": base["ops"], **prof} if prof["available"] else {**base, **prof}
        emit("config", results[lab])  # timings are safe on the host even if a later pass dies
    # where each node ran: a separate interpreter with the delegate's claim report, never the timed one
    for lab in labels_ok:
        t0 = time.perf_counter()
        results[lab]["placement"] = placement_of(model, results[lab]["config"], DELEGATES, make_interpreter)
        phase("placement", lab, t0)
        progress(f"placement {lab}")
    # phase 4: energy, its own pass after timing
    e = {**MEASURE_DEFAULTS["energy"], **(o.get("energy") or {})}
    reader, reason = detect_reader(e.get("source") or "auto", e.get("root") or "/", e.get("options") or {})
    for lab in labels_ok:
        if reader is None:
            results[lab]["energy"] = {"available": False, "reason": reason, "energy_per_inference_uj": None}
        else:
            t0 = time.perf_counter()
            results[lab]["energy"] = _energy_pass(runners[lab], reader, window_seconds(reader, e.get("window_s")))
            phase("energy", lab, t0)
        progress(f"energy {lab}")
    # GPU-delegate configurations: the GPU board's own energy from NVML as well, where the device has it
    gpu_labs = [lab for lab in labels_ok if DELEGATES[results[lab]["config"]["delegate"]]["delegates"] == ["gpu"]]
    if gpu_labs and (e.get("source") or "auto") != "nvml":
        nvml, why = detect_reader("nvml", e.get("root") or "/", e.get("options") or {})
        for lab in gpu_labs:
            if nvml is None:
                results[lab]["gpu_energy"] = {"available": False, "reason": why, "energy_per_inference_uj": None}
                continue
            t0 = time.perf_counter()
            results[lab]["gpu_energy"] = _energy_pass(runners[lab], nvml, window_seconds(nvml, e.get("window_s")))
            phase("energy", lab, t0)
        if nvml is not None:
            nvml.close()
    runners.clear()
    # phase 5: memory, one fresh process per configuration
    for lab in labels_ok:
        if o["memory"] and memory_child_argv:
            t0 = time.perf_counter()
            results[lab]["memory"] = _memory_pass(model, results[lab]["config"], int(o["seed"]), memory_child_argv)
            phase("memory", lab, t0)
        else:
            results[lab]["memory"] = {"available": False, "reason": "memory pass disabled"}
        progress(f"memory {lab}")
        emit("config", results[lab])
    return {"configs": [results[lab] for lab in labels], "schedule": schedule, "seed": int(o["seed"]),
            "timeline": timeline,
            "environment": {"before": env_before, "after": read_environment(o["sysfs_root"])},
            "options": {k: v for k, v in o.items()}}
