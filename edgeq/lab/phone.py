"""The virtual phone: edgeq's Python adbd (``edgeq/lab/adbd``) in the arm64 chroot, adb over TCP on port 5555.

The chroot gets an Android-like ``/data/local/tmp``; shell commands from ``adb shell`` run the
chroot's aarch64 ``/bin/sh`` and python3 under qemu, with the same delegate dir as the Pi.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import container
from .netns import NetNs
from .pi import DEVICE_ENV, install_delegate

#: copied whole into the chroot and run there on its own as ``python3 -m adbd``
ADBD_SRC = Path(__file__).resolve().parent / "adbd"
ADB_PORT = 5555
TMP = "/data/local/tmp"


def prepare(d: container.Dirs, delegate: Path | None) -> None:
    shutil.copytree(ADBD_SRC, d.upper / "opt" / "edgeq" / "adbd",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
    tmp = d.upper / TMP.lstrip("/")
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o1777)
    (d.upper / "sdcard").mkdir(exist_ok=True)
    if delegate is not None:
        install_delegate(d.upper, delegate)


def start(lower: Path, d: container.Dirs, ns: NetNs, timeout: float = 180) -> dict:
    argv = ["/usr/bin/python3", "-m", "adbd", "--host", ns.addr, "--port", str(ADB_PORT), "--tmpdir", TMP,
            "--product", "edgeq_lab", "--model", "edgeq_lab_phone"]
    rec = container.start(ns.name, lower, d, argv, {**DEVICE_ENV, "PYTHONPATH": "/opt/edgeq",
                                                     "PYTHONDONTWRITEBYTECODE": "1"})
    container.wait_port(rec, ns.addr, ADB_PORT, timeout)
    return rec
