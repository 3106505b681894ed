"""The virtual phone: edgeq's Python adbd (``edgeq/lab/adbd``) in the arm64 chroot, adb over TCP on port 5555.

The chroot gets an Android-like ``/data/local/tmp``; shell commands from ``adb shell`` run the
chroot's aarch64 ``/bin/sh`` and python3 under qemu, with the same delegate dir as the Pi.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from ..errors import EdgeqError
from . import container
from .netns import NetNs
from .pi import DEVICE_ENV, install_delegate

#: copied whole into the chroot and run there on its own as ``python3 -m adbd``
ADBD_SRC = Path(__file__).resolve().parent / "adbd"
ADB_PORT = 5555
TMP = "/data/local/tmp"
#: the adb public keys the phone's adbd trusts, inside the chroot
KEYS_IN_CHROOT = "/opt/edgeq/adb_keys"


def user_adb_pub() -> Path:
    """The invoking user's adb key (``~/.android/adbkey.pub``; under sudo, the sudoing user's)."""
    home = Path.home()
    if os.environ.get("SUDO_USER") and os.geteuid() == 0:
        try:
            home = Path(pwd.getpwnam(os.environ["SUDO_USER"]).pw_dir)
        except KeyError:
            pass
    return home / ".android" / "adbkey.pub"


def lab_key(lab: Path) -> Path:
    """The lab's own adb key pair (made once with ``adb keygen``); give adb it with ADB_VENDOR_KEYS."""
    key = lab / "adbkey"
    if not (key.is_file() and key.with_name("adbkey.pub").is_file()):
        try:
            p = subprocess.run(["adb", "keygen", str(key)], capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise EdgeqError("the adb client is not installed: apt install adb") from None
        if p.returncode != 0 or not key.with_name("adbkey.pub").is_file():
            raise EdgeqError(f"adb keygen {key} failed ({(p.stderr or p.stdout).strip()[-200:]}): "
                             "check the lab folder is writable")
    return key


def prepare(d: container.Dirs, delegate: Path | None, lab: Path) -> Path:
    """Copy adbd and the trusted keys (the lab's, and the user's adb key if there is one) into the chroot;
    returns the lab's private key."""
    key = lab_key(lab)
    trusted = key.with_name("adbkey.pub").read_text().strip() + "\n"
    user = user_adb_pub()
    if user.is_file():
        trusted += user.read_text().strip() + "\n"
    keys = d.upper / KEYS_IN_CHROOT.lstrip("/")
    keys.parent.mkdir(parents=True, exist_ok=True)
    keys.write_text(trusted)
    keys.chmod(0o600)
    shutil.copytree(ADBD_SRC, d.upper / "opt" / "edgeq" / "adbd",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
    tmp = d.upper / TMP.lstrip("/")
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o1777)
    (d.upper / "sdcard").mkdir(exist_ok=True)
    if delegate is not None:
        install_delegate(d.upper, delegate)
    return key


def start(lower: Path, d: container.Dirs, ns: NetNs, timeout: float = 180) -> dict:
    argv = ["/usr/bin/python3", "-m", "adbd", "--host", ns.addr, "--port", str(ADB_PORT), "--tmpdir", TMP,
            "--auth-keys", KEYS_IN_CHROOT, "--product", "edgeq_lab", "--model", "edgeq_lab_phone"]
    rec = container.start(ns.name, lower, d, argv, {**DEVICE_ENV, "PYTHONPATH": "/opt/edgeq",
                                                     "PYTHONDONTWRITEBYTECODE": "1"})
    container.wait_port(rec, ns.addr, ADB_PORT, timeout)
    return rec
