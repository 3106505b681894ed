"""``edgeq profile MODEL --device mcu://BOARD``: compile the model, build the firmware, boot it (QEMU for
emulated boards, the board's flasher for real ones), then measure over the serial protocol.

Emulated boards count instructions (QEMU ``-icount``), not cycles: the report gives instructions
per inference, MACs per instruction, and a latency estimate at one instruction per cycle at the
board's clock, marked as such. Every run also checks the outputs against LiteRT's BUILTIN_REF.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import EdgeqError
from .boards import Board, board

EMULATED_TIMING_NOTE = ("emulated board: instruction counts under qemu-system-arm -icount, not hardware time; "
                        "latency_ms assumes one instruction per cycle at the board's clock")


def parse_mcu_uri(uri: str) -> tuple[Board, dict[str, str]]:
    """``mcu://BOARD[?port=/dev/ttyACM0]`` -> (board, options)."""
    from ..profiling.links import parse_uri
    u = parse_uri(uri)
    if u.scheme != "mcu":
        raise EdgeqError(f"'{uri}' is not an mcu:// device: write mcu://BOARD, e.g. mcu://mps2-an386")
    return board(u.netloc), u.options


def model_inputs(model: bytes, seed: int = 0) -> list[np.ndarray]:
    """One reproducible input per model input, spread over its quantized range."""
    from ai_edge_litert.interpreter import Interpreter as LiteRT
    it = LiteRT(model_content=model)
    rng = np.random.default_rng(seed)
    xs = []
    for d in it.get_input_details():
        if d["dtype"] == np.float32:
            xs.append(rng.standard_normal(d["shape"]).astype(np.float32))
            continue
        scale, zp = d["quantization"]
        info = np.iinfo(d["dtype"])
        q = np.round(rng.standard_normal(d["shape"]) / (scale or 1.0)) + zp
        xs.append(np.clip(q, info.min, info.max).astype(d["dtype"]))
    return xs


def reference_outputs(model: bytes, inputs: list[np.ndarray]) -> bytes:
    from ai_edge_litert.interpreter import Interpreter as LiteRT, OpResolverType
    it = LiteRT(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return b"".join(it.get_tensor(d["index"]).tobytes() for d in it.get_output_details())


def _flash(b: Board, elf: Path, opts: dict[str, str]) -> None:
    if not b.flash_command:
        raise EdgeqError(f"no flash command known for {b.name}: flash {elf} yourself and pass ?flashed=1")
    tool = shutil.which(b.flash_command[0])
    hexfile = elf.with_suffix(".hex")
    subprocess.run(["arm-none-eabi-objcopy", "-O", "ihex", str(elf), str(hexfile)], check=True)
    cmd = [a.format(elf=elf, hex=hexfile) for a in b.flash_command]
    if tool is None:
        raise EdgeqError(f"{b.flash_command[0]} is not installed: flash with `{' '.join(cmd)}` and rerun with "
                         f"mcu://{b.name}?port={opts.get('port', '/dev/ttyACM0')}&flashed=1")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise EdgeqError(f"flashing {b.name} failed ({' '.join(cmd)}): "
                         f"{(r.stderr or r.stdout).strip().splitlines()[-1:] or ['no message']}")


def run_mcu(dev, model: Path, opts: dict, progress: Callable[[int, int, str], None], result: dict) -> None:
    """Compile, build, boot and measure ``model`` on ``dev`` (an ``mcu://`` device); fills ``result``."""
    from ..profiling.ondevice import stats
    from ..profiling.profile import EMULATED_NOTICE
    from .firmware import compile_and_build
    from .qemu import QemuBoard, instructions
    from .session import FirmwareSession

    b, q = parse_mcu_uri(dev.uri)
    if b.qemu_machine:
        result["emulated"], result["notice"] = True, EMULATED_NOTICE
    data = Path(model).read_bytes()
    total = 5
    with tempfile.TemporaryDirectory(prefix="edgeq-mcu-") as tmp:
        progress(1, total, "compile + build")
        cm, fw = compile_and_build(data, b, Path(tmp))
        from ..compile.report import attach_build
        attach_build(cm.report, cm, fw)
        result["board"] = {"name": b.name, "target": cm.target, "clock_hz": b.clock_hz, "emulated": b.qemu_machine
                           is not None, "firmware": {"flash_bytes": fw.text_bytes, "ram_bytes": fw.bss_bytes +
                                                     fw.stack_bytes, "arena_bytes": cm.plan.arena_bytes}}
        result["compile"] = {k: cm.report[k] for k in ("flash", "ram", "macs")}
        progress(2, total, "boot")
        if b.qemu_machine and "lab" not in q:
            target = QemuBoard(b, fw.elf)
            uri = target.uri
        else:
            if "port" not in q:
                raise EdgeqError(f"mcu://{b.name} is real hardware: give its serial port, e.g. "
                                 f"mcu://{b.name}?port=/dev/ttyACM0")
            if "lab" in q:  # edgeq lab's emulated board: flashed through its control socket
                from ..lab.cortex_m_board import flash
                flash(q["lab"], fw.elf)
            elif q.get("flashed") not in ("1", "true", "yes"):
                _flash(b, fw.elf, q)
            target = None
            uri = f"serial://{q['port']}?baud={q.get('baud', '115200')}"
        try:
            with FirmwareSession(uri, timeout=float(opts.get("check_timeout_s", 15)) + 60) as s:
                info = s.info()
                if info.model_sha256 != cm.sha256:
                    raise EdgeqError(f"the board runs another model (sha256 {info.model_sha256[:12]}…): "
                                     "flashing did not take; reset the board and retry")
                inputs = model_inputs(data, int(opts.get("seed", 0)))
                s.load_input(b"".join(np.ascontiguousarray(x).tobytes() for x in inputs))
                progress(3, total, "infer")
                runs = 3 if b.qemu_machine else max(1, int(opts.get("min_runs", 10)))
                first = s.infer(1)
                ticks = [s.infer(1) for _ in range(runs)]
                emulated = b.qemu_machine is not None
                per = [instructions(t, info.timer_hz) if emulated else t * b.clock_hz // info.timer_hz for t in ticks]
                ms = [p / b.clock_hz * 1e3 for p in per]
                entry: dict = {"config": {"delegate": "edgeq-aot", "threads": 1}, "label": f"edgeq-aot/{cm.target}",
                               "runtime": {"runtime": "edgeq compile (ahead-of-time C)", "board": b.name,
                                           "timer": info.timer, "timer_hz": info.timer_hz},
                               "first_inference_ms": (instructions(first, info.timer_hz) if emulated else
                                                      first * b.clock_hz // info.timer_hz) / b.clock_hz * 1e3,
                               "steady": {**stats.summarize(ms), "samples_ms": ms}}
                unit = "instructions" if emulated else "cycles"
                entry[f"{unit}_per_inference"] = int(np.median(per))
                entry[f"macs_per_{unit[:-1]}"] = cm.report["macs"] / max(1, int(np.median(per)))
                if emulated:
                    entry["note"] = EMULATED_TIMING_NOTE
                result["configs"] = [entry]
                progress(4, total, "check outputs")
                got, want = s.outputs(), reference_outputs(data, inputs)
                diff = sum(a != c for a, c in zip(got, want)) + abs(len(got) - len(want))
                entry["bit_exact"] = {"reference": "LiteRT BUILTIN_REF", "equal": diff == 0, "bytes_differing": diff,
                                      "output_bytes": len(want)}
                op_ticks = s.op_ticks()
                rows = []
                for o, t in zip(cm.report["ops"], op_ticks):
                    n = instructions(t, info.timer_hz) if emulated else t * b.clock_hz // info.timer_hz
                    rows.append({"node": o["index"], "name": o["layer"], "op": o["op"], "kernel": o["kernel"],
                                 "ms": n / b.clock_hz * 1e3, unit: n, "macs": o["macs"]})
                entry["op_profile"] = {"available": True, "nodes": rows, "invokes": 1, "unit": unit,
                                       "source": ("firmware op hooks, " + ("QEMU instruction counts at one per cycle"
                                                  if emulated else "DWT cycles") + f" at {b.clock_hz / 1e6:g} MHz")}
                entry["memory"] = {"available": True, "arena_bytes": info.arena_bytes,
                                   "ram_bytes": b.ram_bytes, "flash_bytes": b.flash_bytes,
                                   "firmware_flash_bytes": fw.text_bytes,
                                   "firmware_ram_bytes": fw.bss_bytes + fw.stack_bytes}
                entry["energy"] = {"available": False, "energy_per_inference_uj": None,
                                   "reason": "emulated board" if emulated else
                                   "the firmware raises its window GPIO for an external monitor: profile "
                                   "through serial:// with energy = \"serial-monitor\" to read one"}
                progress(5, total, "done")
        finally:
            if target is not None:
                target.close()
