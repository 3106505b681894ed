"""The host itself as a device: a child process and plain file copies."""
from __future__ import annotations

import shutil
import sys

from .shell import ShellLink


class LocalLink(ShellLink):
    uri = "local"

    def __init__(self, python: str | None = None):
        # the agent needs numpy and a runtime: the interpreter running edgeq has both
        self.python = python or sys.executable

    def argv(self, command: str) -> list[str]:
        return ["/bin/sh", "-c", command]

    def push(self, local: str, remote: str, timeout: float = 300) -> None:
        shutil.copyfile(local, remote)
