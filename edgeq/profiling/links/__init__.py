"""Links: how bytes reach a device (a local process, ssh, adb, a serial port, or edgeq firmware on an MCU).

The scheme of a device URI picks its link: :data:`LINKS` is the one registry of schemes and
:func:`parse_uri` the one parser of device URIs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

from ..errors import ProfileError
from .adb import AdbLink
from .base import DeviceUri, Link
from .local import LocalLink
from .mcu import McuLink
from .serial import SerialLink
from .ssh import SshLink

if TYPE_CHECKING:
    from ..devices import Device

#: URI scheme → the link that reaches a device at such a URI
LINKS: dict[str, type[Link]] = {cls.scheme: cls for cls in (LocalLink, SshLink, AdbLink, SerialLink, McuLink)}


def uri_usage() -> str:
    """Every way to write a device URI, for messages: ``local, ssh://user@host[:port], … or …``."""
    forms = [u for cls in LINKS.values() for u in cls.usage]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def is_uri(spec: str) -> bool:
    """Whether ``spec`` is written as a device URI rather than a profile name."""
    return spec == "local" or "://" in spec


def scheme_of(text: str) -> str:
    """The scheme of a device URI (``local`` for ``local``), without checking the rest."""
    return "local" if text == "local" else urlparse(text).scheme


def parse_uri(text: str) -> DeviceUri:
    """Split a device URI into its parts; ProfileError names what is wrong and how to write it."""
    if text == "local":
        return DeviceUri(text, "local")
    u = urlparse(text)
    if u.scheme not in LINKS or "://" not in text:
        raise ProfileError(f"device '{text}' is neither a profile name nor a URI: use {uri_usage()}; "
                           "'edgeq devices' lists profiles")
    try:
        port = u.port
    except ValueError:
        raise ProfileError(f"device '{text}' has a port that is not a number: write host:PORT") from None
    uri = DeviceUri(text, u.scheme, user=u.username, host=u.hostname, port=port, netloc=u.netloc, path=u.path,
                    options={k: v[-1] for k, v in parse_qs(u.query).items()})
    LINKS[u.scheme].check_uri(uri)
    return uri


def open_link(dev: Device, timeout: float) -> Link:
    """The link that reaches ``dev``, opened (a serial port is open, a shell link ready to run commands)."""
    uri = parse_uri(dev.uri)
    return LINKS[uri.scheme].open(uri, dev, timeout)
