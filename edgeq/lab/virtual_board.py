"""edgeq's virtual microcontroller: TFLite Micro on the host behind a serial line.

It speaks the micro-serial runner's protocol (``edgeq/profiling/runners/micro_serial.py``: MLPerf
Tiny's runner commands plus ``model load`` and ``arena``) and enforces a board profile's flash and
RAM: a model larger than flash or an arena larger than RAM is refused with ``e-[…]``.
Its timings are host timings, never hardware timings.

Run: ``python -m edgeq.lab.virtual_board --fd N --ram BYTES --flash BYTES`` (N: a pty master
the caller passes in) or ``--tty /dev/pts/K``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


class Board:
    def __init__(self, ram: int, flash: int, name: str = "edgeq-virtual"):
        self.ram, self.flash, self.name = ram, flash, name
        self.interp = None
        self.arena = None
        self.target = None  # "model" or "input" while a load is in progress
        self.expect = 0
        self.buf = bytearray()
        self.input = b""
        self.t0 = time.perf_counter_ns()

    def lap_us(self) -> int:
        return ((time.perf_counter_ns() - self.t0) // 1000) & 0xFFFFFFFF  # a 32-bit µs counter, as on a board

    def handle(self, cmd: str) -> list[str]:
        words = cmd.split()
        if not words:
            return []
        op = words[0]
        if op == "name":
            return [f"m-name-dut-[{self.name}]"]
        if op == "profile":
            return ["m-profile-[edgeq-virtual-board-tflm]", "m-model-[custom]"]
        if op in ("model", "db") and len(words) == 3 and words[1] == "load":
            n = int(words[2])
            if op == "model" and n > self.flash:
                return [f"e-[model of {n} bytes exceeds {self.flash} bytes of flash]"]
            self.target, self.expect, self.buf = ("model" if op == "model" else "input"), n, bytearray()
            return [f"m-[Expecting {n} bytes]"]
        if op == "db" and len(words) == 2:
            if self.target is None:
                return ["e-[no load in progress: send 'db load N' first]"]
            self.buf += bytes.fromhex(words[1])
            if len(self.buf) < self.expect:
                return []
            return self._loaded()
        if op == "infer":
            n = int(words[1]) if len(words) > 1 else 1
            w = int(words[2]) if len(words) > 2 else 10
            if self.interp is None:
                return ["e-[no model loaded]"]
            out = [f"m-warmup-start-{w}"]
            for _ in range(w):
                self.interp.invoke()
            out += ["m-warmup-done", f"m-infer-start-{n}", f"m-lap-us-{self.lap_us()}"]
            for _ in range(n):
                self.interp.invoke()
            out += [f"m-lap-us-{self.lap_us()}", "m-infer-done"]
            y = self.interp.get_output(0).reshape(-1)
            return out + ["m-results-[" + ",".join(str(int(v)) for v in y[:16]) + "]"]
        if op == "arena":
            return [f"m-arena-used-{self.arena}"] if self.arena is not None else ["e-[no model loaded]"]
        return [f"e-[unknown command '{op}']"]

    def _loaded(self) -> list[str]:
        data, target = bytes(self.buf[:self.expect]), self.target
        self.target, self.buf = None, bytearray()
        if target == "input":
            if self.interp is None:
                return ["e-[load a model before its input]"]
            det = self.interp.get_input_details(0)
            x = np.frombuffer(data, dtype=det["dtype"])
            if x.size != int(np.prod(det["shape"])):
                return [f"e-[input has {x.size} values, model needs {int(np.prod(det['shape']))}]"]
            self.interp.set_input(x.reshape(det["shape"]), 0)
            return ["m-load-done"]
        from tflite_micro.python.tflite_micro import runtime
        from ..profiling.fit import arena_of
        t = time.perf_counter_ns()
        try:
            # the board's RAM is the arena budget: TFLM fails to allocate beyond it, like firmware would
            interp = runtime.Interpreter.from_bytes(data, arena_size=self.ram)
        except (RuntimeError, ValueError) as e:
            return [f"e-[model does not fit {self.ram} bytes of RAM or cannot load: {str(e).strip()}]"]
        init_us = (time.perf_counter_ns() - t) // 1000
        self.interp, self.arena = interp, arena_of(interp)
        return ["m-load-done", f"m-model-ready-arena-{self.arena}-init-us-{init_us}"]


def serve(fd: int, board: Board) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end of the pty went away
            return
        if not chunk:
            return
        pending += chunk
        while b"%" in pending:
            raw, pending = pending.split(b"%", 1)
            try:
                lines = board.handle(raw.decode("ascii", "replace").strip())
            except (ValueError, IndexError) as e:
                lines = [f"e-[bad command: {e}]"]
            os.write(fd, "".join(ln + "\r\n" for ln in lines + ["m-ready"]).encode())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--fd", type=int, help="an open pty master file descriptor")
    src.add_argument("--tty", help="a tty path to open")
    ap.add_argument("--ram", type=int, required=True)
    ap.add_argument("--flash", type=int, required=True)
    ap.add_argument("--name", default="edgeq-virtual")
    a = ap.parse_args(argv)
    fd = a.fd if a.fd is not None else os.open(a.tty, os.O_RDWR | os.O_NOCTTY)
    serve(fd, Board(a.ram, a.flash, a.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
