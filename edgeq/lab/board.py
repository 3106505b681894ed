"""The virtual MCU board: ``edgeq.lab.virtual_board`` (tflite-micro on the host) behind a pty.

The board process holds both ends of the pty: with its own copy of the slave end open, the
master never reads EOF between clients, so it outlives ``edgeq lab start`` and serves any number
of ``serial://`` sessions until ``edgeq lab stop``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path

from ..resources import devices_dir
from ..errors import EdgeqError
from .container import alive, start_ticks

#: the folder holding the edgeq package (checkout or site-packages): the board process imports edgeq from there
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
PROFILE = devices_dir() / "profiles" / "virtual-board.toml"
#: the board's --name; also how stop finds a board whose state record is lost
BOARD_NAME = "edgeq-lab-board"


def start(log_path: Path) -> dict:
    """Start the board with the RAM/flash limits of ``virtual-board.toml``; returns its record."""
    from ..profiling.devices import load_profile
    prof = load_profile(PROFILE)
    master, slave = os.openpty()
    tty.setraw(slave)  # a serial line, not a terminal: no echo, no line discipline
    path = os.ttyname(slave)
    try:
        with open(log_path, "ab") as log:
            p = subprocess.Popen([sys.executable, "-m", "edgeq.lab.virtual_board", "--fd", str(master), "--ram",
                                  str(prof.ram_bytes), "--flash", str(prof.flash_bytes), "--name", BOARD_NAME],
                                 pass_fds=(master, slave), stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True, cwd=str(PACKAGE_PARENT))
    finally:
        os.close(master)
        os.close(slave)
    rec = {"pid": p.pid, "start_ticks": start_ticks(p.pid), "tty": path, "log": str(log_path),
           "ram_bytes": prof.ram_bytes, "flash_bytes": prof.flash_bytes}
    time.sleep(0.3)
    if not alive(rec):
        raise EdgeqError(f"the virtual board exited at start: see {log_path}")
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
