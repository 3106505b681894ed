"""``edgeq profile``: one thread per device, each measured by its runner, results merged into one report.

Whatever a device delivered before it failed is kept: a device whose run was cut short (agent killed,
link lost, Ctrl-C) is ``incomplete``, one with configurations that could not run is ``partial``, one with
nothing is ``failed``. ``on_update`` receives the report as configurations finish, so it can be written
as the run goes.
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Callable

from ..errors import EdgeqError
from .devices import Device
from .interrupt import CAUSE as INTERRUPT_CAUSE
from .interrupt import INTERRUPTED, stop_devices
from .ondevice.measure import DELEGATES, MEASURE_DEFAULTS
from .runners import RUNNERS, Progress

EMULATED_NOTICE = ("EMULATED DEVICE: timings come from a host emulating the board and are NOT hardware "
                   "timings; only memory/arena figures and outputs carry over to the real board.")
#: options of a profile run: the measurement's own (the energy source comes from each device's profile)
#: plus the energy window and how long a device may take to answer
DEFAULT_OPTIONS = {**{k: v for k, v in MEASURE_DEFAULTS.items() if k != "energy"},
                   "energy_window_s": None, "check_timeout_s": 15.0}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Interrupted(EdgeqError):
    """Ctrl-C: ``report`` holds everything finished before it (status ``incomplete``)."""

    exit_code = 130

    def __init__(self, report: dict):
        super().__init__(INTERRUPT_CAUSE)
        self.report = report


def new_result(dev: Device) -> dict:
    result: dict = {"device": dev.as_dict(), "status": "running", "error": None, "configs": [],
                    "emulated": dev.emulated}
    if dev.emulated:
        result["notice"] = EMULATED_NOTICE
    return result


def _mark_incomplete(result: dict, cause: str) -> None:
    """``result`` ended early by ``cause``: configurations lacking figures say so, the device is incomplete."""
    result["error"] = cause
    # memory is every runner's last pass: a configuration without it lacks figures
    result["configs"] = [c if "memory" in c or c.get("error") or c.get("incomplete")
                         else {**c, "incomplete": cause} for c in result.get("configs") or []]
    result["status"] = "incomplete" if result.get("configs") else "failed"


def _gpu_unavailable(c: dict) -> dict:
    """A gpu configuration whose delegate found no OpenCL device to use ran every node on the CPU runtime: its
    figures are the CPU's under the gpu label, so it becomes a configuration that could not run, with the
    delegate's reason (no OpenCL platform: install a driver ICD; a CPU device only: pass platform=...)."""
    rep = (c.get("placement") or {}).get("claim_report") or {}
    if (c.get("config") or {}).get("delegate") != "gpu" or rep.get("status") != "unavailable" or c.get("error"):
        return c
    why = rep.get("message") or "no usable OpenCL device"
    return {"config": c["config"], "label": c["label"],
            "error": f"{c['label']} cannot run: edgeq_gpu is unavailable: {why} (every node would run on the CPU "
                     "runtime, so there is nothing of the GPU to time)"}


def profile_device(dev: Device, model: Path, configs: list[dict], opts: dict, keep: bool,
                   progress: Progress, result: dict | None = None) -> dict:
    """Measure one device into ``result``; never raises for device trouble, the result says what happened."""
    result = new_result(dev) if result is None else result
    t0 = time.time()
    try:
        RUNNERS[dev.agent](dev, model, configs, opts, keep, progress, result)
        result["configs"] = [_gpu_unavailable(c) for c in result.get("configs") or []]
        bad = [c["error"] for c in result.get("configs") or [] if c.get("error")]
        if bad:
            result["error"] = "; ".join(bad)
        result["status"] = "partial" if bad else "ok"
    except EdgeqError as e:
        _mark_incomplete(result, INTERRUPT_CAUSE if INTERRUPTED.is_set() else str(e))
    result["wall_s"] = time.time() - t0
    return result


def _snapshot(obj: dict) -> dict:
    """A deep copy of a report that device threads are still filling (retried if one changes it meanwhile)."""
    for _ in range(20):
        try:
            return copy.deepcopy(obj)
        except RuntimeError:  # a dict changed size while being copied
            time.sleep(0.01)
    return copy.deepcopy(obj)


def _progress_key(results: list[dict]) -> tuple:
    return tuple((r["status"], tuple(sorted((c.get("label"), len(c)) for c in r.get("configs") or [])))
                 for r in results)


def _model_ops(m: Path) -> list[dict]:
    """Node index, op and the user's layer name of every op: reports name nodes by layer. A file that is not a
    whole .tflite model is refused here, in one line, before any device or report is touched."""
    from ..analysis.model_info import op_table
    from ..tflite_schema import looks_like_tflite, read_model
    data = m.read_bytes()
    if not looks_like_tflite(data):
        raise EdgeqError(f"'{m}' is not a .tflite flatbuffer (no TFL3 identifier): convert it first with edgeq convert")
    return [{"node": o.index, "op": o.op, "layer": o.layer} for o in op_table(read_model(data, f"'{m}'"))]


#: delegate options edgeq profile sets itself, per pass
RESERVED_DELEGATE_OPTIONS = ("report_path", "profile", "profile_path", "num_threads")


def _configs(delegates: list[str], threads: list[int], delegate_options: dict[str, str] | None = None) -> list[dict]:
    for d in delegates:
        if d not in DELEGATES:
            raise EdgeqError(f"unknown delegate '{d}': choose from {', '.join(DELEGATES)}")
    for t in threads:
        if t < 1:
            raise EdgeqError(f"--threads {t} is not a positive count: give 1 or more")
    edgeq_own = [d for d in delegates if d in ("cpu", "gpu")]
    if delegate_options and not edgeq_own:
        raise EdgeqError("--delegate-option is for edgeq's delegates: add --delegate cpu or --delegate gpu")
    per: dict[str, dict[str, str]] = {d: {} for d in ("cpu", "gpu")}
    for key, value in (delegate_options or {}).items():  # KEY for both, cpu:KEY / gpu:KEY for one
        which, colon, name = key.partition(":")
        if colon and which not in per:
            raise EdgeqError(f"--delegate-option {key}: the prefix names a delegate, cpu: or gpu:")
        if colon and name in RESERVED_DELEGATE_OPTIONS:
            raise EdgeqError(f"--delegate-option {name} is set by edgeq profile itself: leave it out")
        for d in ([which] if colon else per):
            per[d][name if colon else key] = value
    return [{"delegate": d, "threads": t, **({"options": per[d]} if d in edgeq_own and per[d] else {})}
            for d in delegates for t in threads]


def run_profile(model: str | os.PathLike, devices: list[Device], delegates: list[str], threads: list[int],
                options: dict | None = None, keep: bool = False, show_progress: bool = True,
                on_update: Callable[[dict], None] | None = None,
                delegate_options: dict[str, str] | None = None) -> dict:
    """Profile ``model`` on every device in parallel (one thread each); returns the whole report dict.

    ``on_update(report)`` is called (from this thread) whenever a configuration finishes; Ctrl-C stops the
    devices' agents and raises :class:`Interrupted` carrying the report of what finished. ``delegate_options``
    go to edgeq's delegates (cpu, gpu) in every pass."""
    from tqdm import tqdm
    m = Path(model)
    if not m.is_file():
        raise EdgeqError(f"model '{m}' not found: give the path of a .tflite file")
    ops = _model_ops(m)
    if not devices:
        raise EdgeqError("no device given: pass --device local (or a profile name / URI)")
    opts = {**DEFAULT_OPTIONS, **(options or {})}
    configs = _configs(delegates, threads, delegate_options)
    INTERRUPTED.clear()
    results = [new_result(d) for d in devices]
    crashes: list[BaseException] = []
    bars = [tqdm(total=1, desc=d.name[:24], position=i, leave=True, disable=not show_progress,
                 unit="step") for i, d in enumerate(devices)]

    def work(i: int, dev: Device) -> None:
        def progress(step: int, total: int, what: str) -> None:
            bars[i].total = total
            bars[i].n = step
            bars[i].set_postfix_str(what[:30], refresh=True)
        try:
            profile_device(dev, m, configs, opts, keep, progress, results[i])
        except BaseException as e:  # a bug: re-raised in the main thread with its traceback
            crashes.append(e)

    head = {"edgeq_profile": 1,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model": {"path": str(m), "bytes": m.stat().st_size, "sha256": _sha256(m), "ops": ops},
            "configs": configs, "options": opts}

    def report(status: str) -> dict:
        return {**head, "status": status, "devices": _snapshot(results)}

    threads_ = [threading.Thread(target=work, args=(i, d), daemon=True) for i, d in enumerate(devices)]
    for t in threads_:
        t.start()
    seen = _progress_key(results)
    try:
        while any(t.is_alive() for t in threads_):
            for t in threads_:
                t.join(timeout=0.25)
            key = _progress_key(results)
            if on_update is not None and key != seen and any(t.is_alive() for t in threads_):
                seen = key
                on_update(report("running"))
    except KeyboardInterrupt:
        INTERRUPTED.set()
        stop_devices()
        try:  # a moment for the device threads to record what ended them
            deadline = time.monotonic() + 5
            for t in threads_:
                t.join(timeout=max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            pass
        for r in results:
            if r["status"] == "running":  # its thread is still unwinding (a loaded machine): mark it here
                _mark_incomplete(r, INTERRUPT_CAUSE)
        raise Interrupted(report("incomplete")) from None
    finally:
        for b in bars:
            b.close()
    if crashes:
        raise crashes[0]
    return report("complete" if all(r["status"] == "ok" for r in results) else "incomplete")
