"""Talking to edgeq firmware over its serial link: inputs in, inferences timed, outputs and per-op
ticks back (the commands are documented in devices/firmware/fw_main.c and devices/README.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import EdgeqError
from ..profiling.links import parse_uri
from ..profiling.links.serial import SerialLink
from ..profiling.runners.micro_serial import load


@dataclass
class FirmwareInfo:
    board: str
    model_sha256: str
    timer_hz: int
    timer: str
    arena_bytes: int
    ops: int


def _tag(lines: list[str], prefix: str) -> str | None:
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix):].strip("[]")
    return None


class FirmwareSession:
    def __init__(self, uri: str, timeout: float = 30.0):
        self.link = SerialLink(parse_uri(uri), timeout=timeout)
        self.uri = uri

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> "FirmwareSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def info(self) -> FirmwareInfo:
        lines = self.link.command("profile")
        prof = _tag(lines, "m-profile-") or ""
        try:
            return FirmwareInfo(board=prof.split()[-1] if prof else "?", model_sha256=_tag(lines, "m-model-sha256-") or "",
                                timer_hz=int(_tag(lines, "m-timer-hz-") or 0), timer=_tag(lines, "m-timer-") or "?",
                                arena_bytes=int(_tag(lines, "m-arena-bytes-") or 0),
                                ops=int(_tag(lines, "m-model-ops-") or 0))
        except ValueError:
            raise EdgeqError(f"{self.uri}: the board's 'profile' answer is not edgeq firmware's: {lines}") from None

    def load_input(self, data: bytes) -> None:
        load(self.link, "db load", data)

    def load_model(self, data: bytes) -> list[str]:
        """``model load``: the firmware accepts only the .tflite compiled into it."""
        return load(self.link, "model load", data)

    def infer(self, n: int = 1, warmup: int = 0, timeout: float = 300.0) -> int:
        """Timer ticks of ``n`` inferences (invoke() only)."""
        lines = self.link.command(f"infer {n} {warmup}", timeout=timeout)
        t = _tag(lines, "m-infer-ticks-")
        if t is None:
            raise EdgeqError(f"{self.uri}: 'infer' answered without m-infer-ticks: not edgeq firmware")
        return int(t)

    def op_ticks(self) -> list[int]:
        out = []
        for ln in self.link.command("ops"):
            m = re.fullmatch(r"m-op-(\d+)-ticks-(\d+)", ln)
            if m:
                out.append(int(m.group(2)))
        return out

    def outputs(self) -> bytes:
        return b"".join(bytes.fromhex(ln[len("m-output-"):]) for ln in self.link.command("output")
                        if ln.startswith("m-output-"))

    def calibrate(self, loops: int) -> int:
        """Timer ticks of a loop of exactly 2 * loops instructions."""
        return int(_tag(self.link.command(f"cal {loops}"), "m-cal-ticks-") or 0)
