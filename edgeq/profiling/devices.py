"""Device profiles (``devices/profiles/*.toml``) and device URIs, validated into one shape."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..resources import devices_dir
from .errors import ProfileError
from .links import LINKS, is_uri, parse_uri, scheme_of, uri_usage
from .ondevice.energy.detect import READERS
from .runners import RUNNERS

CLASSES = ("phone", "sbc", "mcu", "host")
ENERGY = (*READERS, "auto", "none")
REQUIRED = {"name": str, "class": str, "cores": int, "isa": list, "ram_bytes": int, "flash_bytes": int,
            "transport": str, "uri": str, "energy": str, "agent": str}
OPTIONAL = {"soc": str, "cpus": list, "accelerators": list, "python": str, "ssh_config": str,
            "tmp_base": str, "emulated": bool, "psram_bytes": int, "os": str, "energy_options": dict,
            "energy_port": str, "notes": str, "adb_key": str}

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

    def energy_options(self) -> dict:
        """What the energy reader is built from: the profile's ``energy_options``, ``energy_port`` as ``port``."""
        options = dict(self.extra.get("energy_options", {}))
        if "energy_port" in self.extra:
            options["port"] = self.extra["energy_port"]
        return options

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
    for key, allowed in (("class", CLASSES), ("transport", tuple(LINKS)), ("energy", ENERGY),
                         ("agent", tuple(RUNNERS))):
        if data[key] not in allowed:
            raise ProfileError(f"device profile {p}: {key} '{data[key]}' is not one of {', '.join(allowed)}")
    for key in ("cores", "ram_bytes", "flash_bytes"):
        if data[key] < 0:
            raise ProfileError(f"device profile {p}: '{key}' must be ≥ 0")
    if data["class"] == "mcu" and (data["ram_bytes"] <= 0 or data["flash_bytes"] <= 0):
        raise ProfileError(f"device profile {p}: an mcu needs ram_bytes and flash_bytes > 0 for the fit check")
    if scheme_of(data["uri"]) != data["transport"]:
        raise ProfileError(f"device profile {p}: uri '{data['uri']}' does not match transport '{data['transport']}'")
    try:
        parse_uri(data["uri"])
    except ProfileError as e:
        raise ProfileError(f"device profile {p}: {e}") from None
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


def resolve_device(spec: str) -> Device:
    """A profile name, a profile path, ``NAME@URI`` (a profile at another address) or a bare URI."""
    name, at, uri = spec.partition("@")
    if not (at and re.fullmatch(r"[\w.-]+", name) and is_uri(uri) and scheme_of(uri) in LINKS):
        name, uri = spec, ""
    if is_uri(name):
        u = parse_uri(name)
        link = LINKS[u.scheme]
        return Device(name=name, cls=link.device_class, uri=name, transport=u.scheme, agent=link.runner,
                      energy=u.options.get("energy", link.default_energy), emulated=u.emulated)
    if name.endswith(".toml"):
        dev = load_profile(name)
    else:
        dev = next((d for d in list_profiles() if d.name == name), None)
        if dev is None:
            known = ", ".join(d.name for d in list_profiles())
            raise ProfileError(f"unknown device '{name}': use a profile ({known}) or a URI ({uri_usage()})")
    if uri:
        u = parse_uri(uri)
        if u.scheme != dev.transport:
            raise ProfileError(f"device '{spec}': profile {dev.name} uses {dev.transport}, not {u.scheme}")
        dev.uri = uri
        if u.emulated:
            dev.emulated = True
    return dev
