"""The micro-serial runner: measures a board over a serial link with MLPerf Tiny's runner commands plus two of edgeq.

Host → board commands end with ``%``; the board answers ``m-…`` lines and ``m-ready`` after
each command, ``e-[reason]`` on errors. From MLPerf Tiny:

* ``name%`` → ``m-name-dut-[NAME]``; ``profile%`` → ``m-profile-[FW]`` ``m-model-[MODEL]``
* ``db load N%`` → ``m-[Expecting N bytes]``, then ``db HEX%`` chunks → ``m-load-done``
* ``infer N W%`` → ``m-warmup-start-W`` ``m-warmup-done`` ``m-infer-start-N`` ``m-lap-us-T0``
  ``m-lap-us-T1`` ``m-infer-done`` ``m-results-[…]``

edgeq additions (a board without them still gets latency via ``infer``):

* ``model load N%`` → ``m-[Expecting N bytes]``, then ``db HEX%`` chunks → ``m-load-done``,
  ``m-model-ready-arena-BYTES-init-us-T`` (or ``e-[…]`` when it does not fit)
* ``arena%`` → ``m-arena-used-BYTES``
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DeviceError
from ..fit import fit_check
from ..links import LINKS, open_link
from ..links.serial import SerialLink
from ..ondevice import stats
from ..ondevice.energy.base import energy_per_inference, window_seconds
from ..ondevice.energy.detect import detect_reader

if TYPE_CHECKING:
    from ..devices import Device
    from . import Progress

CHUNK = 31  # bytes per 'db' command: keeps each command under the protocol's 80 characters


def load(link: SerialLink, what: str, data: bytes) -> list[str]:
    """``model load`` or ``db load`` followed by the hex chunks."""
    link.command(f"{what} {len(data)}")
    out: list[str] = []
    for i in range(0, len(data), CHUNK):
        out = link.command("db " + data[i:i + CHUNK].hex())
    return out


def _number(link: SerialLink, line: str, text: str, what: str) -> int:
    """The unsigned integer ``text`` of answer ``line``; a malformed one is the board's error, in one line."""
    if not re.fullmatch(r"\d{1,20}", text):
        raise DeviceError(f"{link.uri}: malformed answer line '{line[:60]}' ({what} is not an unsigned integer): "
                          "the firmware does not follow the protocol")
    return int(text)


def infer(link: SerialLink, n: int, warmup: int, timeout: float = 60) -> float:
    """Seconds per inference from the board's own µs timestamps."""
    lines = link.command(f"infer {n} {warmup}", timeout=timeout)
    laps = [_number(link, ln, ln[len("m-lap-us-"):], "the lap") for ln in lines if ln.startswith("m-lap-us-")]
    if len(laps) != 2:
        raise DeviceError(f"{link.uri}: 'infer' answered without two m-lap-us timestamps: "
                          "the firmware does not follow the MLPerf Tiny protocol")
    return (laps[1] - laps[0]) % (1 << 32) / 1e6 / n  # 32-bit µs counter may wrap


def _tagged(lines: list[str], prefix: str) -> str | None:
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix):].strip("[]")
    return None


def run(dev: Device, model: Path, configs: list[dict], opts: dict, keep: bool, progress: Progress,
        result: dict) -> None:
    """Fit check, load, measure and read the arena of ``model`` on a board; fills ``result``.

    A board runs one configuration (TFLite Micro, one thread) and keeps no files: ``configs`` and
    ``keep`` do not apply.
    """
    if not issubclass(LINKS[dev.transport], SerialLink):
        raise DeviceError(f"{dev.uri}: transport '{dev.transport}' does not speak the micro-serial protocol")
    data = model.read_bytes()
    result["fit"] = fit_check(data, dev.ram_bytes, dev.flash_bytes, dev.name)  # before anything is sent
    link = open_link(dev, timeout=float(opts["check_timeout_s"]))
    total = 5
    try:
        name = _tagged(link.command("name"), "m-name-dut-")
        prof = link.command("profile")
        result["board"] = {"name": name, "firmware": _tagged(prof, "m-profile-"), "model": _tagged(prof, "m-model-")}
        progress(1, total, "load model")
        ready = load(link, "model load", data)
        tag = _tagged(ready, "m-model-ready-")
        m = re.fullmatch(r"arena-(\d{1,20})-init-us-(\d{1,20})", tag or "")
        if tag is not None and not m:
            raise DeviceError(f"{link.uri}: malformed answer line 'm-model-ready-{tag[:50]}' (expected "
                              "m-model-ready-arena-BYTES-init-us-T): the firmware does not follow the protocol")
        arena, init_us = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        progress(2, total, "load input")
        # the board's input tensor size is unknown to us; the model's first input is sized by the fit step
        load(link, "db load", _input_bytes(data))
        cfg = {"delegate": "tflm", "threads": 1}
        entry: dict = {"config": cfg, "label": "tflm/t1",
                       "load_ms": init_us / 1e3 if init_us is not None else None,
                       "runtime": {"runtime": "tflite-micro", "board": result["board"]}}
        entry["first_inference_ms"] = infer(link, 1, 0) * 1e3
        result["configs"] = [entry]  # kept even if the board goes away below
        warm = _loop(link, int(opts["warmup_runs"]), float(opts["warmup_min_secs"]), float(opts["max_secs"]))
        entry["warmup"] = {**stats.summarize(warm), "samples_ms": warm}
        progress(3, total, "steady state")
        steady = _loop(link, int(opts["min_runs"]), float(opts["min_secs"]), float(opts["max_secs"]))
        entry["steady"] = {**stats.summarize(steady), "samples_ms": steady}
        n = max(1, int(opts["min_runs"]))
        entry["window"] = {"inferences": n, "mean_ms": infer(link, n, 0, timeout=float(opts["max_secs"]) + 30) * 1e3,
                           "note": "one MLPerf Tiny-style window: N inferences between two m-lap-us stamps"}
        entry["op_profile"] = {"available": False, "reason": "the serial protocol carries no per-op timings"}
        entry["energy"] = _energy(dev, link, opts)
        progress(4, total, "arena")
        used = _tagged(link.command("arena"), "m-arena-used-")
        if used is not None:
            used = _number(link, f"m-arena-used-{used}", used, "the arena size")
        entry["memory"] = {"available": used is not None or arena is not None,
                           "arena_bytes": used if used is not None else arena, "ram_bytes": dev.ram_bytes,
                           "flash_model_bytes": len(data), "flash_bytes": dev.flash_bytes}
        progress(5, total, "done")
    finally:
        link.close()


def _energy(dev: Device, link: SerialLink, opts: dict) -> dict:
    """Board energy from an external monitor (profile ``energy = "serial-monitor"``), else null + why."""
    if dev.energy != "serial-monitor":
        return {"available": False, "energy_per_inference_uj": None,
                "reason": f"no energy meter for this board (profile energy = '{dev.energy}'): "
                          "wire an external monitor and set energy = \"serial-monitor\""}
    reader, why = detect_reader("serial-monitor", options=dev.energy_options())
    if reader is None:
        return {"available": False, "energy_per_inference_uj": None, "reason": why}
    try:
        window = window_seconds(reader, opts["energy_window_s"])
        batch = 10  # inferences per 'infer' command: the protocol round trip stays a small share
        res = energy_per_inference(reader, lambda: (infer(link, batch, 0), batch)[1], window)
        res["note"] = ("the window includes serial command round trips; MLPerf Tiny's energy mode "
                       "brackets the window with GPIO edges instead")
        return res
    finally:
        reader.close()


def _loop(link: SerialLink, min_runs: int, min_secs: float, max_secs: float) -> list[float]:
    """Single inferences until the count AND the time are reached (board time), capped by host time."""
    samples: list[float] = []
    board_s = 0.0
    start = time.monotonic()
    while True:
        s = infer(link, 1, 0)
        samples.append(s * 1e3)
        board_s += s
        if time.monotonic() - start >= max_secs:
            return samples
        if len(samples) >= min_runs and board_s >= min_secs:
            return samples
        # a board far slower than the host protocol round trip would never reach min_secs of board time
        if len(samples) >= min_runs and time.monotonic() - start >= 4 * min_secs:
            return samples


def _input_bytes(model: bytes) -> bytes:
    """Deterministic input bytes of the model's first input size (read from the flatbuffer)."""
    from ...tflite_schema import read_model
    sg = read_model(model).subgraphs[0]
    t = sg.tensors[sg.inputs[0]]
    size = 1
    for d in t.shape:
        size *= int(d)
    width = {9: 1, 3: 1, 0: 4, 7: 2, 2: 4}.get(t.type, 1)  # int8, uint8, float32, int16, int32
    return bytes((i * 37 + 11) % 256 for i in range(size * width))
