"""The lab's MCU board: ``edgeq.lab.cortex_m_board``, an emulated Cortex-M4 (QEMU mps2-an386) running
edgeq's firmware, behind a pty and flashed through a control socket (``mcu://`` devices with ``lab=``).

The board process holds both ends of the pty: with its own copy of the slave end open, the
master never reads EOF between clients, so it outlives ``edgeq lab start`` and serves any number
of sessions until ``edgeq lab stop``. (``edgeq.lab.virtual_board``, tflite-micro behind a pty, stays
as the serial protocol's test peer.)
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path

from ..errors import EdgeqError
from .container import alive, start_ticks

#: the folder holding the edgeq package (checkout or site-packages): the board process imports edgeq from there
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
#: the board's --name; also how stop finds a board whose state record is lost
BOARD_NAME = "edgeq-lab-board"
#: the emulated board (edgeq.mcu.boards)
BOARD = "mps2-an386"


def start(log_path: Path) -> dict:
    """Start the (blank) board; returns its record: pid, tty, control socket, memory sizes."""
    from ..mcu.boards import board
    from ..mcu.qemu import qemu_binary
    qemu_binary()  # a missing QEMU is one clear error here, not a dead board later
    b = board(BOARD)
    control = log_path.parent / "board.sock"
    master, slave = os.openpty()
    tty.setraw(slave)  # a serial line, not a terminal: no echo, no line discipline
    path = os.ttyname(slave)
    try:
        with open(log_path, "ab") as log:
            p = subprocess.Popen([sys.executable, "-m", "edgeq.lab.cortex_m_board", "--fd", str(master), "--control",
                                  str(control), "--board", BOARD, "--name", BOARD_NAME],
                                 pass_fds=(master, slave), stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True, cwd=str(PACKAGE_PARENT))
    finally:
        os.close(master)
        os.close(slave)
    rec = {"pid": p.pid, "start_ticks": start_ticks(p.pid), "tty": path, "log": str(log_path),
           "control": str(control), "board": BOARD, "ram_bytes": b.ram_bytes, "flash_bytes": b.flash_bytes}
    deadline = time.monotonic() + 10
    while not control.exists() and alive(rec) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not alive(rec) or not control.exists():
        raise EdgeqError(f"the lab's Cortex-M board exited at start: see {log_path}")
    return rec


def stop(rec: dict, timeout: float = 10) -> None:
    if not alive(rec):
        return
    os.kill(rec["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(rec) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(rec):
        os.kill(rec["pid"], signal.SIGKILL)
