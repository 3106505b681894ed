"""Run one arm64 chroot as a throwaway container: its own network, mount and PID namespaces.

The cached rootfs is the read-only lower layer of an overlay, so every device writes only to its
own upper dir. All mounts are made inside a private mount namespace and every process lives in a
private PID namespace under ``unshare --kill-child``: killing that one ``unshare`` process ends the
whole tree, and with its last process the kernel drops the mounts. Nothing leaks into the host's
mount table even when the lab is killed hard.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import EdgeqError

# pid 1 of the container: mount the overlay and a minimal /proc, /sys, /dev, /run, /tmp, then chroot
_INIT = r"""
set -e
M=$1; shift
mount -t overlay overlay -o "lowerdir=$EDGEQ_LOWER,upperdir=$EDGEQ_UPPER,workdir=$EDGEQ_WORK" "$M"
mount -t proc proc "$M/proc"
mount -t sysfs -o ro sysfs "$M/sys"
mount --bind -o ro "$EDGEQ_CPUINFO" "$M/proc/cpuinfo"
mount -t tmpfs -o mode=755 tmpfs "$M/run"
mount -t tmpfs -o mode=1777 tmpfs "$M/tmp"
mount -t tmpfs -o mode=755 tmpfs "$M/dev"
mknod -m 666 "$M/dev/null" c 1 3; mknod -m 666 "$M/dev/zero" c 1 5; mknod -m 666 "$M/dev/full" c 1 7
mknod -m 666 "$M/dev/random" c 1 8; mknod -m 666 "$M/dev/urandom" c 1 9; mknod -m 666 "$M/dev/tty" c 5 0
mkdir "$M/dev/pts" "$M/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$M/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$M/dev/shm"
ln -s pts/ptmx "$M/dev/ptmx"; ln -s /proc/self/fd "$M/dev/fd"
ln -s /proc/self/fd/0 "$M/dev/stdin"; ln -s /proc/self/fd/1 "$M/dev/stdout"; ln -s /proc/self/fd/2 "$M/dev/stderr"
mkdir -p "$M/run/sshd"
exec chroot "$M" "$@"
"""

#: what the emulated CPU reports in /proc/cpuinfo: qemu 'max' is at least an Armv8.2 core with dotprod and i8mm
_FEATURES = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc "
             "dcpop sha3 sm3 sm4 asimddp sha512 asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg dcpodp flagm2 "
             "frint i8mm bf16")

#: PATH inside the chroot (Debian's default for root)
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Dirs:
    upper: Path  # the device's writable layer: files put here before start appear in the chroot
    work: Path
    root: Path   # the overlay's mount point (visible only inside the container)
    log: Path
    cpuinfo: Path


def dirs(run_dir: Path, name: str) -> Dirs:
    base = run_dir / name
    return Dirs(base / "upper", base / "work", base / "root", base / "console.log", base / "cpuinfo")


def prepare(d: Dirs) -> None:
    for p in (d.upper, d.work, d.root):
        p.mkdir(parents=True, exist_ok=True)
    d.cpuinfo.write_text(arm64_cpuinfo(_possible_cpus()))


def _possible_cpus() -> int:
    """CPUs the kernel lists as possible (what sysfs shows the chroot); the cpuinfo must cover them all."""
    try:
        text = Path("/sys/devices/system/cpu/possible").read_text().strip()
        return max(int(part.split("-")[-1]) for part in text.split(",")) + 1
    except (OSError, ValueError):
        return os.cpu_count() or 1


def arm64_cpuinfo(cpus: int) -> str:
    """An arm64 /proc/cpuinfo for the chroot.

    qemu-user passes the host's x86 /proc/cpuinfo through; the ARM CPU detection inside LiteRT
    (cpuinfo, used by XNNPACK and ruy) reads it next to sysfs and segfaults on the x86 layout.
    """
    block = (f"BogoMIPS\t: 50.00\nFeatures\t: {_FEATURES}\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
             "CPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n")
    return "".join(f"processor\t: {i}\n{block}" for i in range(cpus))


def start(netns: str, lower: Path, d: Dirs, argv: list[str], env: dict[str, str]) -> dict:
    """Start ``argv`` (a path inside the chroot) as the container's main process; returns its record."""
    full_env = {"PATH": CHROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8",
                "EDGEQ_LOWER": str(lower), "EDGEQ_UPPER": str(d.upper), "EDGEQ_WORK": str(d.work),
                "EDGEQ_CPUINFO": str(d.cpuinfo), **env}
    cmd = ["ip", "netns", "exec", netns, "unshare", "--mount", "--pid", "--fork", "--kill-child=SIGKILL",
           "--propagation", "private", "/bin/sh", "-c", _INIT, "edgeq-lab-init", str(d.root), *argv]
    with open(d.log, "ab") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env=full_env, start_new_session=True)
    return {"pid": p.pid, "start_ticks": start_ticks(p.pid), "netns": netns, "log": str(d.log)}


def start_ticks(pid: int) -> int | None:
    """Process start time (field 22 of /proc/PID/stat): tells our pid from a recycled one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def alive(rec: dict) -> bool:
    ticks = start_ticks(rec["pid"])
    return ticks is not None and ticks == rec.get("start_ticks")


def wait_port(rec: dict, addr: str, port: int, timeout: float) -> None:
    """Wait until ``addr:port`` accepts a TCP connection; fail early if the container died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(rec):
            raise EdgeqError(f"the lab device in {rec['netns']} exited while starting: see {rec['log']}")
        try:
            with socket.create_connection((addr, port), timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise EdgeqError(f"{addr}:{port} did not answer within {timeout:.0f} s: see {rec['log']}")


def netns_pids(netns: str) -> list[int]:
    p = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, timeout=30)
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def stop(rec: dict, timeout: float = 15) -> None:
    """Kill the container's ``unshare`` (its --kill-child takes the PID namespace down), then sweep the netns."""
    if alive(rec):
        try:
            os.kill(rec["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = netns_pids(rec["netns"]) if Path("/run/netns", rec["netns"]).exists() else []
        if not alive(rec) and not left:
            return
        for pid in left:  # anything still in the device's network namespace is the lab's
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    raise EdgeqError(f"processes in {rec['netns']} survived SIGKILL for {timeout:.0f} s: "
                     f"check 'ip netns pids {rec['netns']}'")
