"""The virtual Raspberry Pi: sshd in the arm64 chroot, key auth only, edgeq's aarch64 CPU delegate installed.

The lab makes a fresh host key per start and writes ``known_hosts`` and an ``ssh_config`` into its
state dir, so clients keep strict host-key checking on. Every process in the chroot runs under
``QEMU_CPU=max``: the delegate's NEON and dotprod code paths are real aarch64 code paths.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Callable

from ..errors import EdgeqError
from ..resources import delegates_dir
from ..runtime import _native_dirs
from . import container
from .netns import NetNs

#: the toolchain file inside the delegates' CMake project (edgeq.resources.delegates_dir)
TOOLCHAIN = Path("cmake") / "aarch64-linux-gnu.cmake"
#: where the chroot finds edgeq's delegates (edgeq.runtime reads $EDGEQ_DELEGATE_DIR first)
DEVICE_DELEGATE_DIR = "/opt/edgeq/native"
#: environment of every emulated process: the newest CPU model qemu has (SDOT, SMMLA, SVE …)
DEVICE_ENV = {"QEMU_CPU": "max", "EDGEQ_DELEGATE_DIR": DEVICE_DELEGATE_DIR}


def prebuilt_delegate() -> Path | None:
    """The aarch64 ``libedgeq_cpu.so`` a wheel carries (built with it where the cross compiler was), if any."""
    for d in _native_dirs():
        cand = d / "aarch64" / "libedgeq_cpu.so"
        if cand.is_file():
            return cand
    return None


def delegate(cache: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """The CPU delegate for the Pi: the wheel's prebuilt one, else cross-built from edgeq's delegate sources."""
    lib = prebuilt_delegate()
    if lib is not None:
        log(f"lab: installing the aarch64 CPU delegate that came with edgeq ({lib})")
        return lib
    return build_delegate(cache, log)


def build_delegate(cache: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """Cross-build ``libedgeq_cpu.so`` for aarch64 from edgeq's delegate sources (incremental, in the cache):
    the checkout's ``delegates/``, or the copy an installed wheel carries."""
    src = delegates_dir()
    toolchain = src / TOOLCHAIN
    # one build folder per source tree: CMake refuses a build folder made from another source tree
    tag = hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:12]
    build = cache / f"delegate-aarch64-{tag}"
    log_file = cache / "delegate-build.log"
    log("lab: cross-building the edgeq CPU delegate for aarch64")
    steps = [["cmake", "-S", str(src), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}",
              "-DCMAKE_BUILD_TYPE=Release", "-DEDGEQ_BUILD_GPU=OFF"],
             ["cmake", "--build", str(build), "--target", "edgeq_cpu", "-j2"]]
    with open(log_file, "w") as out:
        for argv in steps:
            try:
                p = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=1200)
            except FileNotFoundError:
                raise EdgeqError("cmake is not installed: apt install cmake gcc-aarch64-linux-gnu") from None
            if p.returncode != 0:
                raise EdgeqError(f"cross-building the aarch64 CPU delegate failed: see {log_file} "
                                 "(needs gcc-aarch64-linux-gnu)")
    lib = next(iter(sorted(build.rglob("libedgeq_cpu.so"))), None)
    if lib is None:
        raise EdgeqError(f"the aarch64 build produced no libedgeq_cpu.so: see {log_file}")
    return lib


def _keygen(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".pub")):
        p.unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "edgeq-lab", "-f", str(path)],
                   check=True, capture_output=True, timeout=60)


def _put(upper: Path, rel: str, data: bytes, mode: int) -> None:
    dest = upper / rel.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    dest.chmod(mode)


def install_delegate(upper: Path, delegate: Path) -> None:
    _put(upper, f"{DEVICE_DELEGATE_DIR}/libedgeq_cpu.so", delegate.read_bytes(), 0o755)


def ssh_files(lab: Path) -> dict[str, str]:
    """Paths of the client key, known_hosts and ssh_config the lab writes for this Pi."""
    return {"identity": str(lab / "id_ed25519"), "known_hosts": str(lab / "known_hosts"),
            "ssh_config": str(lab / "ssh_config")}


def prepare(lab: Path, d: container.Dirs, ns: NetNs, delegate: Path | None) -> dict[str, str]:
    """Write sshd's config, keys and the delegate into the Pi's upper layer; client files into ``lab``."""
    files = ssh_files(lab)
    ident = Path(files["identity"])
    if not ident.is_file():
        _keygen(ident)
    host_key = lab / "run" / "pi_host_ed25519_key"
    _keygen(host_key)
    up = d.upper
    (up / "root").mkdir(mode=0o700, parents=True, exist_ok=True)
    (up / "root").chmod(0o700)
    (up / "root" / ".ssh").mkdir(mode=0o700, exist_ok=True)
    _put(up, "/root/.ssh/authorized_keys", Path(str(ident) + ".pub").read_bytes(), 0o600)
    _put(up, "/etc/ssh/edgeq_host_ed25519_key", host_key.read_bytes(), 0o600)
    env = " ".join(f"{k}={v}" for k, v in DEVICE_ENV.items())
    # sshd takes the first value of each keyword and Debian's sshd_config includes sshd_config.d first
    _put(up, "/etc/ssh/sshd_config.d/edgeq-lab.conf", (
        f"ListenAddress {ns.addr}\n"
        "HostKey /etc/ssh/edgeq_host_ed25519_key\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"  # PAM's loginuid/session modules fail in a chroot without audit support
        f"SetEnv {env}\n").encode(), 0o644)
    if delegate is not None:
        install_delegate(up, delegate)
    pub = Path(str(host_key) + ".pub").read_text().split()
    Path(files["known_hosts"]).write_text(f"{ns.addr} {pub[0]} {pub[1]}\n")
    Path(files["ssh_config"]).write_text(
        f"# written by 'edgeq lab start' for the virtual Raspberry Pi; use: ssh -F {files['ssh_config']} "
        f"root@{ns.addr}\n"
        f"Host {ns.addr} edgeq-lab-pi\n"
        f"  HostName {ns.addr}\n"
        "  User root\n"
        f"  IdentityFile {ident}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {files['known_hosts']}\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n")
    return files


def start(lower: Path, d: container.Dirs, ns: NetNs, timeout: float = 180) -> dict:
    rec = container.start(ns.name, lower, d, ["/usr/sbin/sshd", "-D", "-e"], DEVICE_ENV)
    container.wait_port(rec, ns.addr, 22, timeout)
    return rec

