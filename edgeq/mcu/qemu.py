"""Boot edgeq firmware on an emulated Cortex-M board: qemu-system-arm with the UART on a pty.

QEMU runs with ``-icount shift=0``: every guest instruction advances virtual time by exactly one
nanosecond, so the firmware's timer (SysTick, whose rate the firmware reports) measures
instructions, not host time: instructions = ticks * 1e9 / timer_hz. These are instruction
counts, not cycles of real silicon.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import tty
from pathlib import Path

from ..errors import EdgeqError
from .boards import Board

QEMU = "qemu-system-arm"
ICOUNT = "shift=0,align=off,sleep=on"
NS_PER_INSN = 1  # 2**shift


def qemu_binary() -> str:
    q = shutil.which(QEMU)
    if q is None:
        raise EdgeqError(f"{QEMU} is not installed: apt-get install qemu-system-arm (Debian/Ubuntu)")
    return q


def qemu_command(board: Board, elf: Path, serial: str = "pty") -> list[str]:
    """qemu-system-arm for ``board`` booting ``elf``, UART 0 on ``serial`` (pty, stdio), counting instructions."""
    if board.qemu_machine is None:
        raise EdgeqError(f"board {board.name} is real hardware, not emulated: flash it and give its serial port")
    return [qemu_binary(), "-M", board.qemu_machine, "-display", "none", "-monitor", "none", "-nodefaults",
            "-serial", serial, "-icount", ICOUNT, "-kernel", str(elf)]


class QemuBoard:
    """A running emulated board; use as a context manager so QEMU always stops."""

    def __init__(self, board: Board, elf: Path, log: Path | None = None, boot_timeout: float = 30.0):
        cmd = qemu_command(board, elf)
        self.board = board
        # QEMU names its pty in its own output: a log file we read back
        self._tmplog = log is None
        self.log_path = Path(log) if log else Path(tempfile.mkstemp(prefix="edgeq-qemu-", suffix=".log")[1])
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self._holder = -1
        try:
            self.tty = self._find_pty(boot_timeout)
            # hold the slave open ourselves: QEMU then never sees the line drop between clients
            self._holder = os.open(self.tty, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self._holder)
            self._handshake(boot_timeout)
        except BaseException:
            self.close()
            raise

    @property
    def uri(self) -> str:
        return f"serial://{self.tty}?baud=115200&emulated=1"

    def _find_pty(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()
            m = re.search(rb"(/dev/pts/\d+)", text)
            if m:
                return m.group(1).decode()
            if self.proc.poll() is not None:
                raise EdgeqError(f"{QEMU} -M {self.board.qemu_machine} exited at start: "
                                 f"{text.decode(errors='replace').strip()[-300:] or 'no message'}")
            time.sleep(0.05)
        raise EdgeqError(f"{QEMU} did not report its serial pty within {timeout:.0f} s")

    def _handshake(self, timeout: float) -> None:
        """Waits for the firmware to answer 'name', and drops what it printed before."""
        deadline = time.monotonic() + timeout
        got = b""
        while time.monotonic() < deadline:
            os.write(self._holder, b"name%")
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                r, _, _ = select.select([self._holder], [], [], 0.1)
                if r:
                    got += os.read(self._holder, 4096)
                    if b"m-name-dut-" in got and got.rstrip().endswith(b"m-ready"):
                        self._drain()
                        return
            if self.proc.poll() is not None:
                break
        raise EdgeqError(f"the firmware on {self.board.name} did not answer within {timeout:.0f} s "
                         f"(got {got[-120:]!r}): check the firmware build")

    def _drain(self, quiet_s: float = 0.3) -> None:
        """Reads until the line has been quiet for ``quiet_s``: answers to repeated 'name' probes."""
        while True:
            r, _, _ = select.select([self._holder], [], [], quiet_s)
            if not r:
                return
            os.read(self._holder, 4096)

    def close(self) -> None:
        if self._holder >= 0:
            os.close(self._holder)
            self._holder = -1
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._tmplog:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "QemuBoard":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def instructions(ticks: int, timer_hz: int) -> int:
    """Guest instructions in ``ticks`` of a ``timer_hz`` timer under -icount shift=0."""
    return round(ticks * 1_000_000_000 / timer_hz / NS_PER_INSN)
