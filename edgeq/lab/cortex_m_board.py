"""The lab's MCU board: an emulated Cortex-M (QEMU ``mps2-an386``) running edgeq's real firmware.

Like a board on a desk, it has a serial port that stays put (a pty this process holds both ends of)
and is flashed before each model: edgeq's firmware has the model compiled in, so ``edgeq profile
MODEL -d lab-board`` builds firmware for MODEL and flashes it through this board's control socket,
the lab's stand-in for a debug probe. Flashing restarts QEMU on the new image (``-icount``, UART
on QEMU's stdio, which this process relays to the pty). Until the first flash the board is blank.

Control socket protocol (one line each way): ``flash /path/firmware.elf`` → ``ok`` once the
firmware has booted, or ``error REASON``.

Run: ``python -m edgeq.lab.cortex_m_board --fd N --control SOCKET [--board mps2-an386] --name NAME``.
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BOOT_TIMEOUT_S = 30.0
MAX_REQUEST = 4096


class Board:
    def __init__(self, master: int, board_name: str):
        from ..mcu.boards import board
        self.master = master
        self.board = board(board_name)
        self.qemu: subprocess.Popen | None = None

    def _kill(self) -> None:
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.kill()
            self.qemu.wait()
        self.qemu = None

    def flash(self, elf: Path) -> str:
        """Restart QEMU on ``elf``; 'ok' once the firmware printed m-init-done, else 'error …'."""
        from ..mcu.qemu import qemu_command
        if not elf.is_file():
            return f"error {elf} is not a file"
        self._kill()
        self.qemu = subprocess.Popen(qemu_command(self.board, elf, serial="stdio"), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        seen = b""
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        assert self.qemu.stdout is not None
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.qemu.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.qemu.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
                if b"m-ready" in seen:  # boot banner: m-init-done, m-ready (not relayed to clients)
                    return "ok"
        self._kill()
        return f"error the firmware did not boot within {BOOT_TIMEOUT_S:.0f} s ({seen[-80:]!r})"

    def relay(self, ready: list) -> None:
        """Moves bytes between the pty and QEMU's UART for the readable ends in ``ready``."""
        if self.master in ready:
            data = os.read(self.master, 4096)
            if self.qemu is not None and self.qemu.poll() is None and self.qemu.stdin is not None:
                self.qemu.stdin.write(data)  # a blank board drops what it is sent
        if self.qemu is not None and self.qemu.stdout is not None and self.qemu.stdout in ready:
            data = os.read(self.qemu.stdout.fileno(), 4096)
            if data:
                os.write(self.master, data)
            else:
                self._kill()


def serve(master: int, control: Path, board_name: str) -> None:
    b = Board(master, board_name)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.unlink(missing_ok=True)
    old = os.umask(0o177)  # the socket flashes the board: owner only
    try:
        srv.bind(str(control))
    finally:
        os.umask(old)
    srv.listen(1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop:
            ends = [master, srv] + ([b.qemu.stdout] if b.qemu is not None and b.qemu.stdout else [])
            try:
                ready, _, _ = select.select(ends, [], [], 0.5)
            except InterruptedError:
                continue
            if srv in ready:
                conn, _ = srv.accept()
                with conn:
                    conn.settimeout(5)
                    try:
                        req = conn.recv(MAX_REQUEST).decode("utf-8", "replace").strip()
                    except OSError:
                        continue
                    verb, _, arg = req.partition(" ")
                    reply = b.flash(Path(arg)) if verb == "flash" and arg else f"error unknown request '{verb}'"
                    try:
                        conn.sendall(reply.encode() + b"\n")
                    except OSError:
                        pass
            b.relay(ready)
    finally:
        b._kill()
        srv.close()
        control.unlink(missing_ok=True)


def flash(control: str | os.PathLike, elf: Path, timeout: float = BOOT_TIMEOUT_S + 10) -> None:
    """Flashes the lab board behind ``control`` with ``elf`` (what the mcu-firmware runner calls)."""
    from ..profiling.errors import DeviceError
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(control))
        s.sendall(f"flash {Path(elf).resolve()}\n".encode())
        reply = s.recv(MAX_REQUEST).decode("utf-8", "replace").strip()
    except OSError as e:
        raise DeviceError(f"cannot reach the lab board at {control} ({e}): is 'edgeq lab start' running?") from None
    finally:
        s.close()
    if reply != "ok":
        raise DeviceError(f"flashing the lab board failed: {reply.removeprefix('error ') or 'no answer'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fd", type=int, required=True, help="pty master file descriptor")
    ap.add_argument("--control", required=True, help="unix socket path for flash requests")
    ap.add_argument("--board", default="mps2-an386")
    ap.add_argument("--name", default="edgeq-lab-board", help="marks the process for 'edgeq lab stop'")
    a = ap.parse_args(argv)
    serve(a.fd, Path(a.control), a.board)
    return 0


if __name__ == "__main__":
    sys.exit(main())
