"""tests/install-system-packages.sh waits for apt's lock instead of failing at once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCKS = ["/var/lib/dpkg/lock-frontend", "/var/lib/apt/lists/lock"]
HOLD_S = 8

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("apt-get") is None,
                                reason="takes apt's locks: needs root on a Debian-family system")

_HOLDER = """
import fcntl, sys, time
fs = [open(p, "a") for p in sys.argv[2:]]
for f in fs:
    fcntl.lockf(f, fcntl.LOCK_EX)  # apt and dpkg lock with fcntl, as this does
print("locked", flush=True)
time.sleep(float(sys.argv[1]))
"""


def test_waits_for_a_held_lock_then_proceeds(tmp_path):
    # A copy of the script with a package list naming a package that does not exist: once the lock is
    # free, apt-get fails for that reason, which shows it went past the lock rather than giving up on it.
    (tmp_path / "tests").mkdir()
    shutil.copy(REPO / "tests" / "install-system-packages.sh", tmp_path / "tests")
    (tmp_path / "tests" / "apt-packages.txt").write_text("edgeq-no-such-package-xyz\n")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(HOLD_S), *LOCKS], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        res = subprocess.run(["bash", str(tmp_path / "tests" / "install-system-packages.sh")],
                             capture_output=True, text=True, timeout=300, env={**os.environ, "EDGEQ_APT_WAIT": "120"})
        elapsed = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert "apt is busy" in res.stdout, res.stdout + res.stderr
    assert elapsed >= HOLD_S - 1
    assert res.returncode != 0
    assert "Unable to locate package edgeq-no-such-package-xyz" in res.stderr
    assert "still held" not in res.stderr


def test_gives_up_after_the_bound(tmp_path):
    (tmp_path / "tests").mkdir()
    shutil.copy(REPO / "tests" / "install-system-packages.sh", tmp_path / "tests")
    (tmp_path / "tests" / "apt-packages.txt").write_text("edgeq-no-such-package-xyz\n")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, "60", *LOCKS], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        res = subprocess.run(["bash", str(tmp_path / "tests" / "install-system-packages.sh")],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "EDGEQ_APT_WAIT": "6"})
        elapsed = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode != 0
    assert elapsed < 50
    assert "still held after 6 s" in res.stderr
