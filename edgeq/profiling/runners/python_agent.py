"""The python runner: pushes the agent bundle to a shell link, runs the agent, reads its event stream.

The agent (``devices/agents/python_agent.py``) writes one ``@@EDGEQ {json}`` line per event;
every finished configuration lands in ``result`` as it arrives, so a link that drops mid-run
still leaves the configurations measured before it.
"""
from __future__ import annotations

import json
import shlex
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AgentError, DeviceError
from ..interrupt import CAUSE as INTERRUPT_CAUSE
from ..interrupt import INTERRUPTED
from ..links import LINKS, open_link
from ..links.shell import ShellLink, kill_stream
from ..ondevice.measure import MEASURE_DEFAULTS
from .agent_bundle import build_bundle

if TYPE_CHECKING:
    from ..devices import Device
    from . import Progress

MARK = "@@EDGEQ "


def _watchdog(proc: subprocess.Popen, limit_s: float, fired: threading.Event) -> threading.Timer:
    def kill() -> None:
        if proc.poll() is None:
            fired.set()
            kill_stream(proc)
    t = threading.Timer(limit_s, kill)
    t.daemon = True
    t.start()
    return t


def run(dev: Device, model: Path, configs: list[dict], opts: dict, keep: bool, progress: Progress,
        result: dict) -> None:
    """Push, run and clean up the agent on ``dev``; fills ``result`` as events arrive."""
    if not issubclass(LINKS[dev.transport], ShellLink):
        raise DeviceError(f"{dev.uri}: transport '{dev.transport}' does not run the Python agent")
    link = open_link(dev, timeout=float(opts["check_timeout_s"]))
    try:
        _run_agent_on(link, dev, model, configs, opts, keep, progress, result)
    finally:
        link.close()


def _run_agent_on(link: ShellLink, dev: Device, model: Path, configs: list[dict], opts: dict, keep: bool,
                  progress: Progress, result: dict) -> None:
    link.check(timeout=float(opts["check_timeout_s"]))
    rc, out = link.run("uname -m", timeout=30)
    machine = out.strip().splitlines()[-1] if rc == 0 and out.strip() else None
    request = {"model": "model.tflite", "configs": configs,
               "options": {k: opts[k] for k in MEASURE_DEFAULTS if k != "energy"}}
    request["options"]["energy"] = {"source": dev.energy, "root": opts["sysfs_root"],
                                    "window_s": opts["energy_window_s"], "options": dev.energy_options()}
    with tempfile.TemporaryDirectory(prefix="edgeq-push-") as tmp:
        bundle = Path(tmp) / "bundle.zip"
        manifest_sha = build_bundle(bundle, model, request, machine)
        wd = link.mkdtemp()
        result["workdir"] = wd
        try:
            link.push(str(bundle), f"{wd}/bundle.zip")
            py = shlex.quote(link.python)
            cmd = (f"cd {shlex.quote(wd)} && {py} -c \"import zipfile; zipfile.ZipFile('bundle.zip')"
                   f".extractall('.')\" && rm -f bundle.zip && {py} python_agent.py "
                   f"--manifest-sha256 {manifest_sha}{' --keep' if keep else ''}")
            _stream_agent(link, cmd, configs, opts, progress, result)
        finally:
            if not keep:
                try:
                    link.remove(wd)
                except DeviceError:
                    pass  # the device is gone; the run's own error says so


def _stream_agent(link: ShellLink, cmd: str, configs: list[dict], opts: dict, progress: Progress,
                  result: dict) -> None:
    per_cfg = 60 + 2 * float(opts["max_secs"]) + 4 * float(opts["energy_window_s"] or 5) + 300
    limit = 120 + len(configs) * per_cfg
    proc, err = link.stream(cmd)
    fired = threading.Event()
    timer = _watchdog(proc, limit, fired)
    by_label: dict[str, dict] = {}
    error = None
    final = None
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\r\n")
            if not line.startswith(MARK):
                tail = (tail + [line])[-20:]
                continue
            try:
                ev = json.loads(line[len(MARK):])
            except ValueError:
                continue
            kind = ev.pop("event", None)
            if kind == "progress":
                progress(ev["step"], ev["total"], ev["what"])
            elif kind == "config":
                by_label[ev["label"]] = ev
                result["configs"] = list(by_label.values())  # rebound, never mutated: readers see whole lists
            elif kind == "error":
                error = ev
            elif kind == "result":
                final = ev
        proc.wait()
    finally:
        timer.cancel()
        link.stream_done(proc)
    err.seek(0)
    stderr = err.read()
    err.close()
    if final is not None:
        result.update(final)
        return
    if fired.is_set():
        cause = f"agent ran past {limit:.0f} s and was stopped: lower --max-secs or check the device"
    elif INTERRUPTED.is_set():
        cause = INTERRUPT_CAUSE
    elif error is not None:
        cause = f"agent failed: {error['message']}"
    else:
        cause = _cause(link, proc.returncode, stderr, tail)
    mark_unfinished(result, configs, cause)
    raise (AgentError if error is not None else DeviceError)(f"{link.uri}: {cause}")


def _cause(link: ShellLink, rc: int, stderr: str, tail: list[str]) -> str:
    """Why the agent's stream ended without a result, in one line: the agent's own end, or the link's."""
    status = link.stream_status(rc, tail)
    if status is not None and (128 < status < 128 + 65 or -65 < status < 0):  # shell's 128+N, Popen's -N
        sig = status - 128 if status > 128 else -status
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return (f"the agent was killed by {name} on the device before finishing (exit status {status}): "
                "rerun with --keep to inspect its files")
    try:  # does the device still answer? then the agent died, not the link
        link.check(timeout=5)
    except DeviceError as e:
        # the probe's failure names the link's state now; the stream's stderr would not: it carries the
        # agent's own stderr too, and a dropped ssh connection ends its client with no message of its own
        now = str(e).removeprefix(f"{link.uri}: ")
        return f"the link to the device was lost before finishing (link exit status {rc}; reconnecting: {now})"
    if status not in (None, 0):
        last = (stderr.strip().splitlines() or tail or ["no output"])[-1]
        return f"the agent exited with status {status} before finishing ({last}): rerun with --keep to inspect its files"
    return (f"the agent ended before finishing without an exit status (link exit status {rc}; the device still "
            "answers, so it was killed there): rerun with --keep to inspect its files")


def mark_unfinished(result: dict, configs: list[dict], cause: str) -> None:
    """Keep what arrived; configurations with passes missing are ``incomplete``, unmeasured ones carry ``cause``."""
    got = {c["label"]: c for c in result.get("configs") or []}
    out = []
    for cfg in configs:
        label = f"{cfg['delegate']}/t{cfg['threads']}"  # the agent's label
        c = got.pop(label, None)
        if c is None:
            out.append({"config": cfg, "label": label, "incomplete": cause, "error": f"{label} not measured: {cause}"})
        elif "memory" not in c and not c.get("error"):  # memory is the last pass: before it, not every figure is in
            out.append({**c, "incomplete": cause})
        else:
            out.append(c)
    result["configs"] = out + list(got.values())
