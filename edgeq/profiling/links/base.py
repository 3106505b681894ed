"""What every link offers, and the parsed device URI a link is opened from."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar


if TYPE_CHECKING:
    from ..devices import Device


@dataclass(frozen=True)
class DeviceUri:
    """A device URI split into its parts; ``options`` are the ``?key=value`` pairs (last one wins)."""

    text: str
    scheme: str
    user: str | None = None
    host: str | None = None
    port: int | None = None
    netloc: str = ""
    path: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def emulated(self) -> bool:
        return self.options.get("emulated", "0") in ("1", "true", "yes")


class Link(ABC):
    """How bytes reach one device; each subclass serves one URI scheme (registered in ``links.LINKS``)."""

    #: the URI scheme, also the ``transport`` field of device profiles
    scheme: ClassVar[str]
    #: how to write such a URI, for --help and error messages
    usage: ClassVar[tuple[str, ...]]
    #: the runner (``agent`` field) of a device given by a bare URI of this scheme
    runner: ClassVar[str]
    #: ``class`` and ``energy`` of a device given by a bare URI of this scheme
    device_class: ClassVar[str] = "unknown"
    default_energy: ClassVar[str] = "none"

    #: a human name for messages, e.g. "ssh://root@host:22"
    uri = "?"

    @classmethod
    def check_uri(cls, uri: DeviceUri) -> None:
        """Raise ProfileError when ``uri`` lacks a part this scheme needs."""

    @classmethod
    @abstractmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> Link:
        """The link to ``dev`` at ``uri``; ``timeout`` bounds opening it."""

    @abstractmethod
    def check(self, timeout: float = 10) -> None:
        """Raise DeviceError unless the device answers within ``timeout``."""

    def close(self) -> None:
        pass

