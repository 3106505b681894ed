"""The host itself as a device: a child process and plain file copies."""
from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING

from ..errors import ProfileError
from .base import DeviceUri
from .shell import ShellLink, python_of

if TYPE_CHECKING:
    from ..devices import Device


class LocalLink(ShellLink):
    scheme = "local"
    usage = ("local",)
    device_class = "host"
    default_energy = "auto"
    uri = "local"

    @classmethod
    def check_uri(cls, uri: DeviceUri) -> None:
        if uri.text != "local":
            raise ProfileError(f"device '{uri.text}': this machine is written 'local', with no address or options")

    @classmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> LocalLink:
        return cls(python_of(uri, dev))

    def __init__(self, python: str | None = None):
        # the agent needs numpy and a runtime: the interpreter running edgeq has both
        self.python = python or sys.executable

    def argv(self, command: str) -> list[str]:
        return ["/bin/sh", "-c", command]

    def push(self, local: str, remote: str, timeout: float = 300) -> None:
        shutil.copyfile(local, remote)
