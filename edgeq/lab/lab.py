"""Start, inspect and stop the whole lab; its state lives in ``<lab dir>/state.json``.

Start is all-or-nothing: if any device fails to come up, everything started so far is torn
down before the error is raised. Stop is idempotent and also removes leftovers found by name
(namespaces, veths) when the state file is gone, then checks that nothing is left.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Callable

from ..atomic import write_text_atomic
from ..errors import EdgeqError
from . import board, container, netns, phone, pi, rootfs
from .paths import cache_dir, lab_dir

#: container devices in the order of their /30 inside 10.213.0.0/24
CONTAINERS = ("pi", "phone")
NOT_HARDWARE = ("emulated device: timings come from qemu/host emulation and are NOT hardware timings")

Log = Callable[[str], None]


def require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise EdgeqError(f"edgeq lab {action} needs root (network namespaces, mounts, chroot): "
                         f"run it as root, e.g. sudo edgeq lab {action}")


def state_path() -> Path:
    return lab_dir() / "state.json"


def read_state() -> dict | None:
    try:
        return json.loads(state_path().read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise EdgeqError(f"lab state {state_path()} is corrupt: run 'edgeq lab stop' to clean up") from None


def _save(state: dict) -> None:
    write_text_atomic(state_path(), json.dumps(state, indent=1))


def _host_mem() -> int:
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal:"):
                return int(ln.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _profile_toml(fields: dict) -> str:
    out = ["# written by 'edgeq lab start'; gone after 'edgeq lab stop'"]
    for k, v in fields.items():
        out.append(f"{k} = {json.dumps(v)}")  # JSON scalars and lists of strings are valid TOML
    return "\n".join(out) + "\n"


def _write_profiles(lab: Path, devices: dict) -> Path:
    """Device profiles (``emulated = true``) for ``EDGEQ_DEVICE_PROFILES``: lab-pi, lab-phone, lab-board."""
    d = lab / "profiles"
    d.mkdir(exist_ok=True)
    cores, mem = os.cpu_count() or 1, _host_mem()
    isa = ["armv8-a", "neon", "dotprod", "i8mm"]  # what qemu's 'max' CPU model offers
    common = {"cores": cores, "cpus": [f"{cores}x qemu-aarch64 'max' on the host"], "isa": isa,
              "ram_bytes": mem, "flash_bytes": 0, "energy": "none", "agent": "python", "python": "python3",
              "emulated": True, "os": "Debian 12 arm64 (chroot under qemu-user)",
              "notes": "edgeq lab: " + NOT_HARDWARE}
    profiles = {
        "lab-pi": {"name": "lab-pi", "class": "sbc", **common, "transport": "ssh",
                   "uri": devices["pi"]["uri"].split("?")[0], "ssh_config": devices["pi"]["ssh_config"],
                   "soc": "emulated (qemu-aarch64)"},
        "lab-phone": {"name": "lab-phone", "class": "phone", **common, "transport": "adb",
                      "uri": devices["phone"]["uri"].split("?")[0], "tmp_base": phone.TMP,
                      "adb_key": devices["phone"]["adb_key"], "soc": "emulated (qemu-aarch64)"},
        "lab-board": {"name": "lab-board", "class": "mcu", "cores": 1, "cpus": ["1x Cortex-M4F (qemu mps2-an386)"],
                      "isa": ["armv7e-m", "thumb2", "dsp", "fpv4-sp"],
                      "ram_bytes": devices["board"]["ram_bytes"], "flash_bytes": devices["board"]["flash_bytes"],
                      "transport": "mcu", "uri": devices["board"]["uri"], "energy": "none",
                      "agent": "mcu-firmware", "emulated": True,
                      "notes": "edgeq lab: edgeq firmware flashed per model; instruction counts, not times"},
    }
    for name, fields in profiles.items():
        write_text_atomic(d / f"{name}.toml", _profile_toml(fields))
    return d


def start(log: Log = lambda s: None) -> dict:
    """Bring up the Pi, the phone and the board; returns the state (also saved to state.json)."""
    require_root("start")
    lab, cache = lab_dir(), cache_dir()
    old = read_state()
    if old is not None or netns.list_lab_namespaces():
        raise EdgeqError("a lab is already running (or was not stopped cleanly): run 'edgeq lab stop' first")
    lab.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    rootfs.ensure_binfmt()
    cached = rootfs.cached_rootfs(cache) is not None
    lower = rootfs.ensure_rootfs(cache, log)
    delegate = pi.delegate(cache, log)
    run = lab / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    state: dict = {"edgeq_lab": 1, "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   "lab_dir": str(lab), "rootfs": str(lower), "rootfs_was_cached": cached,
                   "notice": NOT_HARDWARE, "devices": {}}
    _save(state)  # from here on, stop() can clean up whatever exists
    try:
        for i, name in enumerate(CONTAINERS):
            ns = netns.plan(name, i)
            netns.create(ns)
            state["devices"][name] = {"netns": ns.name, "host_if": ns.host_if, "addr": ns.addr,
                                      "host_addr": ns.host_addr}
            _save(state)
            d = container.dirs(run, name)
            container.prepare(d)
            if name == "pi":
                log(f"lab: starting the virtual Raspberry Pi (sshd) at {ns.addr}")
                files = pi.prepare(lab, d, ns, delegate)
                state["devices"][name].update(files)
                rec = pi.start(lower, d, ns)
                uri = f"ssh://root@{ns.addr}?emulated=1"
            else:
                log(f"lab: starting the virtual phone (adbd) at {ns.addr}:{phone.ADB_PORT}")
                key = phone.prepare(d, delegate, lab)
                state["devices"][name]["adb_key"] = str(key)
                rec = phone.start(lower, d, ns)
                uri = f"adb://{ns.addr}:{phone.ADB_PORT}?emulated=1"
            state["devices"][name].update(rec, uri=uri)
            _save(state)
        log("lab: starting the MCU board (QEMU mps2-an386 Cortex-M4, edgeq firmware) on a pty")
        b = board.start(run / "board.log")
        state["devices"]["board"] = {**b, "uri": f"mcu://{b['board']}?port={b['tty']}&lab={b['control']}"}
        state["profiles_dir"] = str(_write_profiles(lab, state["devices"]))
        state["start_s"] = round(time.time() - t0, 1)
        _save(state)
    except BaseException:
        try:
            stop()
        except EdgeqError:
            pass
        raise
    return state


def _port_open(addr: str, port: int) -> bool:
    try:
        with socket.create_connection((addr, port), timeout=2):
            return True
    except OSError:
        return False


def status() -> dict:
    """The saved state with each device's liveness checked now; ``{"running": False}`` without a lab."""
    state = read_state()
    if state is None:
        return {"running": False, "lab_dir": str(lab_dir())}
    devs = state.get("devices", {})
    for name, dev in devs.items():
        if "pid" not in dev:
            dev["up"] = False
        elif name == "board":
            dev["up"] = container.alive(dev) and os.path.exists(dev["tty"]) and os.path.exists(dev["control"])
        else:
            dev["up"] = container.alive(dev) and _port_open(dev["addr"], 22 if name == "pi" else phone.ADB_PORT)
    if "pi" in devs and "ssh_config" in devs["pi"]:
        devs["pi"]["ssh_options"] = ["-F", devs["pi"]["ssh_config"]]
        devs["pi"]["ssh_env"] = f"EDGEQ_SSH_OPTS='-F {devs['pi']['ssh_config']}'"
    if "phone" in devs:
        devs["phone"]["adb_connect"] = f"adb connect {devs['phone']['addr']}:{phone.ADB_PORT}"
        if "adb_key" in devs["phone"]:
            devs["phone"]["adb_env"] = f"ADB_VENDOR_KEYS={devs['phone']['adb_key']}"
    state["running"] = all(d.get("up") for d in devs.values()) and len(devs) == len(CONTAINERS) + 1
    return state


def _lab_processes(run: str) -> dict[int, str]:
    """Host pids whose command line marks them as the lab's (container inits, the board), by cmdline."""
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            text = b" ".join((p / "cmdline").read_bytes().split(b"\0")).decode(errors="replace")
        except OSError:
            continue
        if (run in text or "edgeq-lab-init" in text or board.BOARD_NAME in text) \
                and container.start_ticks(int(p.name)) is not None:
            found[int(p.name)] = text
    return found


def leftovers(lab: Path | None = None) -> list[str]:
    """What of a lab is still on the host: namespaces, veths, mounts, processes. Empty after a clean stop."""
    lab = lab or lab_dir()
    found = [f"netns {n}" for n in netns.list_lab_namespaces()]
    found += [f"link {n}" for n in netns.list_lab_links()]
    run = str(lab / "run")
    for ln in Path("/proc/mounts").read_text().splitlines():
        mnt = ln.split()[1]
        if mnt.startswith(run) or netns.NS_PREFIX in mnt:
            found.append(f"mount {mnt}")
    found += [f"process {pid} ({text[:80]})" for pid, text in _lab_processes(run).items()]
    return found


def stop(log: Log = lambda s: None) -> list[str]:
    """Tear everything down; returns what was removed. Raises if anything of the lab survives."""
    require_root("stop")
    lab = lab_dir()
    state = read_state() or {"devices": {}}
    removed = []
    devs = state.get("devices", {})
    if "board" in devs and "pid" in devs["board"]:
        board.stop(devs["board"])
        removed.append("board")
    for pid, text in _lab_processes(str(lab / "run")).items():
        if board.BOARD_NAME in text:  # a board whose state record is gone
            board.stop({"pid": pid, "start_ticks": container.start_ticks(pid)})
    for i, name in enumerate(CONTAINERS):
        dev = devs.get(name)
        ns = netns.plan(name, i)
        if dev and "pid" in dev:
            container.stop(dev)
        elif ns.name in netns.list_lab_namespaces():  # no record: sweep by namespace
            container.stop({"pid": -1, "start_ticks": None, "netns": ns.name, "log": ""})
        if ns.name in netns.list_lab_namespaces() or ns.host_if in netns.list_lab_links():
            netns.delete(ns.name, ns.host_if)
            removed.append(name)
    for extra in netns.list_lab_namespaces():  # any other namespace with the lab's prefix is the lab's too
        container.stop({"pid": -1, "start_ticks": None, "netns": extra, "log": ""})
        netns.delete(extra)
    shutil.rmtree(lab / "run", ignore_errors=True)
    shutil.rmtree(lab / "profiles", ignore_errors=True)
    for f in ("known_hosts", "ssh_config"):
        (lab / f).unlink(missing_ok=True)
    state_path().unlink(missing_ok=True)
    left = leftovers(lab)
    if left:
        raise EdgeqError(f"edgeq lab stop left {', '.join(left)}: remove them by hand and report a bug")
    log(f"lab: stopped ({', '.join(removed) or 'nothing was running'})")
    return removed
