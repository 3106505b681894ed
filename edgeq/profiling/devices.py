"""Device profiles (``devices/profiles/*.toml``) and device URIs, validated into one shape."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..resources import devices_dir
from .errors import ProfileError

CLASSES = ("phone", "sbc", "mcu", "host")
TRANSPORTS = ("local", "ssh", "adb", "serial")
ENERGY = ("odpm", "battery", "pmic", "ina2xx", "rapl", "serial-monitor", "auto", "none")
AGENTS = ("python", "micro-serial")
REQUIRED = {"name": str, "class": str, "cores": int, "isa": list, "ram_bytes": int, "flash_bytes": int,
            "transport": str, "uri": str, "energy": str, "agent": str}
OPTIONAL = {"soc": str, "cpus": list, "accelerators": list, "python": str, "ssh_config": str,
            "tmp_base": str, "emulated": bool, "psram_bytes": int, "os": str, "energy_options": dict,
            "energy_port": str, "notes": str}

#: folder of the profiles shipped in the repository
PROFILE_DIR = devices_dir() / "profiles"


@dataclass
class Device:
    """A device to profile: a named profile, or a bare URI with defaults."""

    name: str
    cls: str
    uri: str
    transport: str
    agent: str
    energy: str = "auto"
    cores: int = 0
    isa: list = field(default_factory=list)
    ram_bytes: int = 0
    flash_bytes: int = 0
    emulated: bool = False
    extra: dict = field(default_factory=dict)
    path: str | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["class"] = d.pop("cls")
        return d


def profile_dirs() -> list[Path]:
    """Shipped profiles plus any folders in ``$EDGEQ_DEVICE_PROFILES`` (os.pathsep separated)."""
    dirs = [Path(p) for p in os.environ.get("EDGEQ_DEVICE_PROFILES", "").split(os.pathsep) if p]
    return dirs + [PROFILE_DIR]


def load_profile(path: str | os.PathLike) -> Device:
    """Read and validate one profile file; errors name the file, the field and the fix."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except OSError as e:
        raise ProfileError(f"cannot read device profile {p}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"device profile {p} is not valid TOML ({e}): fix the syntax") from None
    for key, typ in REQUIRED.items():
        if key not in data:
            raise ProfileError(f"device profile {p} lacks '{key}': add it (see devices/profiles/pixel-8.toml)")
        if not isinstance(data[key], typ) or (typ is int and isinstance(data[key], bool)):
            raise ProfileError(f"device profile {p}: '{key}' must be a {typ.__name__}, "
                               f"got {type(data[key]).__name__}")
    for key, typ in OPTIONAL.items():
        if key in data and not isinstance(data[key], typ):
            raise ProfileError(f"device profile {p}: '{key}' must be a {typ.__name__}, "
                               f"got {type(data[key]).__name__}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ProfileError(f"device profile {p}: unknown field(s) {', '.join(unknown)}: remove or fix the spelling")
    for key, allowed in (("class", CLASSES), ("transport", TRANSPORTS), ("energy", ENERGY), ("agent", AGENTS)):
        if data[key] not in allowed:
            raise ProfileError(f"device profile {p}: {key} '{data[key]}' is not one of {', '.join(allowed)}")
    for key in ("cores", "ram_bytes", "flash_bytes"):
        if data[key] < 0:
            raise ProfileError(f"device profile {p}: '{key}' must be ≥ 0")
    if data["class"] == "mcu" and (data["ram_bytes"] <= 0 or data["flash_bytes"] <= 0):
        raise ProfileError(f"device profile {p}: an mcu needs ram_bytes and flash_bytes > 0 for the fit check")
    scheme = data["uri"].split(":", 1)[0]
    if scheme != data["transport"]:
        raise ProfileError(f"device profile {p}: uri '{data['uri']}' does not match transport '{data['transport']}'")
    extra = {k: data[k] for k in OPTIONAL if k in data and k != "emulated"}
    return Device(name=data["name"], cls=data["class"], uri=data["uri"], transport=data["transport"],
                  agent=data["agent"], energy=data["energy"], cores=data["cores"], isa=list(data["isa"]),
                  ram_bytes=data["ram_bytes"], flash_bytes=data["flash_bytes"],
                  emulated=bool(data.get("emulated", False)), extra=extra, path=str(p))


def list_profiles() -> list[Device]:
    """Every profile, first folder winning on duplicate names."""
    seen: dict[str, Device] = {}
    for d in profile_dirs():
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.toml")):
            dev = load_profile(f)
            seen.setdefault(dev.name, dev)
    return sorted(seen.values(), key=lambda d: (CLASSES.index(d.cls), d.name))


def parse_uri(uri: str) -> tuple[str, Any, dict[str, str]]:
    """(transport, parsed URL, query options) of a device URI."""
    if uri == "local":
        return "local", None, {}
    u = urlparse(uri)
    if u.scheme not in ("ssh", "adb", "serial"):
        raise ProfileError(f"device '{uri}' is neither a profile name nor a URI: use local, ssh://user@host[:port], "
                           "adb://SERIAL, adb://host:port or serial:///dev/tty…; 'edgeq devices' lists profiles")
    q = {k: v[-1] for k, v in parse_qs(u.query).items()}
    if u.scheme == "ssh" and not u.hostname:
        raise ProfileError(f"device '{uri}' has no host: write ssh://user@host[:port]")
    if u.scheme == "serial" and not u.path:
        raise ProfileError(f"device '{uri}' has no port path: write serial:///dev/ttyACM0?baud=115200")
    return u.scheme, u, q


def resolve_device(spec: str) -> Device:
    """A profile name, a profile path, ``NAME@URI`` (a profile at another address) or a bare URI."""
    m = re.fullmatch(r"([\w.-]+)@((?:ssh|adb|serial)://.*|local)", spec)
    name, uri = (m.group(1), m.group(2)) if m else (spec, "")
    if name == "local" or "://" in name:
        transport, _, q = parse_uri(name)
        return Device(name=name, cls="host" if transport == "local" else "unknown", uri=name,
                      transport=transport, agent="micro-serial" if transport == "serial" else "python",
                      energy=q.get("energy", "auto" if transport == "local" else "none"),
                      emulated=q.get("emulated", "0") in ("1", "true", "yes"))
    if name.endswith(".toml"):
        dev = load_profile(name)
    else:
        dev = next((d for d in list_profiles() if d.name == name), None)
        if dev is None:
            known = ", ".join(d.name for d in list_profiles())
            raise ProfileError(f"unknown device '{name}': use a profile ({known}) or a URI "
                               "(local, ssh://user@host[:port], adb://SERIAL, serial:///dev/tty…)")
    if uri:
        transport, _, q = parse_uri(uri)
        if transport != dev.transport:
            raise ProfileError(f"device '{spec}': profile {dev.name} uses {dev.transport}, not {transport}")
        dev.uri = uri
        if q.get("emulated", "0") in ("1", "true", "yes"):
            dev.emulated = True
    return dev
