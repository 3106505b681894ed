"""Network namespaces for lab devices: one namespace and one veth pair per device on a private /30."""
from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass

from ..errors import EdgeqError

#: every lab namespace and host-side veth starts with these, so stop can find leftovers by name
NS_PREFIX = "edgeq-lab-"
VETH_PREFIX = "eqlab-"
#: the lab's private range; device i gets the /30 at offset 4*i (host .1, device .2)
BASE_NET = ipaddress.ip_network("10.213.0.0/24")


@dataclass(frozen=True)
class NetNs:
    name: str       # e.g. edgeq-lab-pi
    host_if: str    # host end of the veth, e.g. eqlab-pi
    host_addr: str  # e.g. 10.213.0.1
    addr: str       # the device's address, e.g. 10.213.0.2


def plan(device: str, index: int) -> NetNs:
    """Names and addresses for device number ``index`` (its own /30 inside :data:`BASE_NET`)."""
    net = list(BASE_NET.subnets(new_prefix=30))[index]
    host, dev = list(net.hosts())
    return NetNs(NS_PREFIX + device, (VETH_PREFIX + device)[:15], str(host), str(dev))


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise EdgeqError("the 'ip' tool is missing: apt install iproute2") from None
    if check and p.returncode != 0:
        raise EdgeqError(f"ip {' '.join(args)} failed: {p.stderr.strip() or p.returncode}")
    return p


def list_lab_namespaces() -> list[str]:
    out = _ip("netns", "list", check=False).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.startswith(NS_PREFIX)]


def list_lab_links() -> list[str]:
    out = _ip("-o", "link", "show", check=False).stdout
    names = [ln.split(":")[1].strip().split("@")[0] for ln in out.splitlines() if ln.count(":") >= 2]
    return [n for n in names if n.startswith(VETH_PREFIX)]


def create(ns: NetNs) -> None:
    """Namespace, veth pair and addresses; the device end is ``eth0`` inside the namespace."""
    if ns.name in list_lab_namespaces():
        raise EdgeqError(f"network namespace {ns.name} already exists: a lab is running, run 'edgeq lab stop' first")
    _ip("netns", "add", ns.name)
    peer = (ns.host_if + "p")[:15]
    _ip("link", "add", ns.host_if, "type", "veth", "peer", "name", peer)
    _ip("link", "set", peer, "netns", ns.name)
    _ip("addr", "add", f"{ns.host_addr}/30", "dev", ns.host_if)
    _ip("link", "set", ns.host_if, "up")
    _ip("-n", ns.name, "link", "set", "lo", "up")
    _ip("-n", ns.name, "link", "set", peer, "name", "eth0")
    _ip("-n", ns.name, "addr", "add", f"{ns.addr}/30", "dev", "eth0")
    _ip("-n", ns.name, "link", "set", "eth0", "up")
    _ip("-n", ns.name, "route", "add", "default", "via", ns.host_addr)


def delete(name: str, host_if: str | None = None) -> None:
    """Remove the veth (which removes its peer) and the namespace; missing ones are fine."""
    if host_if:
        _ip("link", "del", host_if, check=False)
    _ip("netns", "del", name, check=False)
