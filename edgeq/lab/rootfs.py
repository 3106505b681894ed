"""Build and cache the lab's Debian bookworm arm64 root filesystem.

``debootstrap --foreign`` unpacks the packages on the host; the second stage runs inside the
chroot under qemu-aarch64 through binfmt_misc. The aarch64 LiteRT wheel is fetched on the host
with pip and unpacked into the chroot's site-packages (no pip needed on the device). The result
is a directory in the cache; labs mount it read-only as the lower layer of an overlay, so one
build serves every start until :data:`ROOTFS_FORMAT` changes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import EdgeqError

#: bump when the build recipe changes: cached trees of another format are rebuilt
ROOTFS_FORMAT = 1
SUITE = "bookworm"
PACKAGES = ("python3", "python3-numpy", "openssh-server")
#: the aarch64 wheel of the runtime the agent uses; bookworm's numpy 1.24 satisfies its numpy>=1.23.2
LITERT_SPEC = os.environ.get("EDGEQ_LAB_LITERT", "ai-edge-litert==2.3.0")
#: manylinux tags a bookworm (glibc 2.36) aarch64 system accepts, newest first
WHEEL_PLATFORMS = ("manylinux_2_36_aarch64", "manylinux_2_28_aarch64", "manylinux_2_27_aarch64",
                   "manylinux2014_aarch64")
MARKER = ".edgeq-rootfs.json"
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")

Log = Callable[[str], None]


def rootfs_path(cache: Path) -> Path:
    return cache / "rootfs-arm64"


def cached_rootfs(cache: Path) -> Path | None:
    """The cached tree if it is complete and of the current format, else None."""
    root = rootfs_path(cache)
    try:
        info = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return root if info.get("format") == ROOTFS_FORMAT else None


def ensure_binfmt() -> None:
    """Make sure the kernel runs aarch64 ELF files through qemu-aarch64 (binfmt_misc, F flag)."""
    if not (BINFMT_DIR / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)], capture_output=True)
    if not (BINFMT_DIR / "register").exists():
        raise EdgeqError("binfmt_misc is not available (cannot mount /proc/sys/fs/binfmt_misc): the lab needs a "
                         "kernel with binfmt_misc to run arm64 code; load the module (modprobe binfmt_misc)")
    entry = BINFMT_DIR / "qemu-aarch64"
    if not entry.exists() and shutil.which("update-binfmts"):
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True)
    if not entry.exists():
        raise EdgeqError("qemu-aarch64 is not registered with binfmt_misc: install qemu-user-static and "
                         "binfmt-support (apt install qemu-user-static binfmt-support)")
    text = entry.read_text()
    if not text.startswith("enabled"):
        entry.write_text("1")
    # without F the interpreter path is looked up inside the chroot, where it does not exist
    flags = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("flags:")), "")
    if "F" not in flags:
        raise EdgeqError("the qemu-aarch64 binfmt entry lacks the F (fix binary) flag, so it cannot run inside a "
                         "chroot: reinstall qemu-user-static (Debian's registers it with F)")


def _run(argv: list[str], log_file: Path, what: str, timeout: float, env: dict | None = None) -> None:
    with open(log_file, "a") as log:
        log.write(f"\n$ {' '.join(argv)}\n")
        log.flush()
        try:
            p = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise EdgeqError(f"{what} took over {timeout:.0f} s: see {log_file}") from None
        except FileNotFoundError:
            raise EdgeqError(f"{argv[0]} is not installed: apt install debootstrap qemu-user-static "
                             "binfmt-support") from None
    if p.returncode != 0:
        raise EdgeqError(f"{what} failed (exit {p.returncode}): see {log_file}")


def _download_wheel(dest: Path, log_file: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
            "--python-version", "3.11", "-d", str(dest)]
    for plat in WHEEL_PLATFORMS:
        argv += ["--platform", plat]
    _run(argv + [LITERT_SPEC], log_file, f"downloading the aarch64 wheel of {LITERT_SPEC}", 600)
    name = LITERT_SPEC.split("==")[0].replace("-", "_")
    version = LITERT_SPEC.split("==")[1] if "==" in LITERT_SPEC else ""
    wheels = sorted(dest.glob(f"{name}-{version}*aarch64.whl"))
    if not wheels:
        raise EdgeqError(f"pip found no aarch64 wheel of {LITERT_SPEC}: set EDGEQ_LAB_LITERT to a version "
                         "that publishes one")
    return wheels[-1]


def _site_packages(root: Path) -> Path:
    pys = sorted(p.name for p in (root / "usr" / "lib").glob("python3.*") if p.is_dir())
    if not pys:
        raise EdgeqError(f"the rootfs at {root} has no python3: delete it and rebuild")
    return root / "usr" / "local" / "lib" / pys[-1] / "dist-packages"


def build_rootfs(cache: Path, log: Log = lambda s: None) -> Path:
    """Build the rootfs into the cache (minutes: the second stage runs under emulation)."""
    if os.geteuid() != 0:
        raise EdgeqError("building the lab rootfs needs root (debootstrap, chroot): run it with sudo")
    ensure_binfmt()
    cache.mkdir(parents=True, exist_ok=True)
    final, tmp = rootfs_path(cache), cache / "rootfs-arm64.partial"
    log_file = cache / "rootfs-build.log"
    log_file.write_text("")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.time()
    mirror = os.environ.get("EDGEQ_LAB_MIRROR", "http://deb.debian.org/debian")
    log(f"lab: debootstrap {SUITE} arm64 (first stage) into {tmp}")
    _run(["debootstrap", "--arch=arm64", "--foreign", "--variant=minbase", f"--include={','.join(PACKAGES)}",
          SUITE, str(tmp), mirror], log_file, "debootstrap (first stage)", 1800)
    log("lab: debootstrap second stage under qemu-aarch64 (the slow part)")
    # a private mount namespace: the /proc and /sys the second stage mounts vanish with it
    _run(["unshare", "--mount", "--propagation", "private", "chroot", str(tmp),
          "/debootstrap/debootstrap", "--second-stage"], log_file, "debootstrap (second stage)", 3600)
    finish_rootfs(tmp, cache, log_file, log, t0)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    log(f"lab: rootfs ready in {time.time() - t0:.0f} s at {final}")
    return final


def finish_rootfs(tmp: Path, cache: Path, log_file: Path, log: Log, t0: float) -> None:
    """After debootstrap: add the LiteRT wheel, check it imports under emulation, write the marker."""
    log(f"lab: installing the aarch64 {LITERT_SPEC} wheel")
    wheel = _download_wheel(cache / "wheels", log_file)
    site = _site_packages(tmp)
    site.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    for so in site.rglob("*.so"):
        so.chmod(0o755)  # zip extraction drops the executable bits
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for f in (tmp / junk).glob("*"):
            if f.is_file():
                f.unlink()
    log("lab: checking python3, numpy and LiteRT run in the rootfs")
    _run(["chroot", str(tmp), "/usr/bin/python3", "-c",
          "import numpy, ai_edge_litert.interpreter as i; print(numpy.__version__, i.Interpreter)"],
         log_file, "importing LiteRT inside the rootfs", 600)
    (tmp / MARKER).write_text(json.dumps({"format": ROOTFS_FORMAT, "suite": SUITE, "packages": list(PACKAGES),
                                          "wheel": wheel.name, "build_s": round(time.time() - t0, 1)}))


def ensure_rootfs(cache: Path, log: Log = lambda s: None) -> Path:
    """The cached rootfs, building it first when missing or stale."""
    return cached_rootfs(cache) or build_rootfs(cache, log)
