"""The shell-like link every agent-running device offers (local, ssh, adb): commands and file copies."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
from abc import abstractmethod
from typing import IO, TYPE_CHECKING

from ..errors import DeviceError
from .base import DeviceUri, Link

if TYPE_CHECKING:
    from ..devices import Device


_streams: set[subprocess.Popen] = set()
_streams_lock = threading.Lock()


def stop_streams() -> None:
    """Kill every agent stream still running (an interrupted run): the remote side then loses its pipe."""
    with _streams_lock:
        procs = list(_streams)
    for p in procs:
        kill_stream(p)


def kill_stream(p: subprocess.Popen) -> None:
    """Kill a stream and everything it started (a local agent is the shell's child, in the stream's session)."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            p.kill()


class ShellLink(Link):
    """Runs shell commands on a device and copies files to it."""

    runner = "python"
    #: python on the device (profiles and ``?python=`` may override)
    python = "python3"
    #: where to make working dirs when the device's $TMPDIR is unset
    tmp_base = "/tmp"

    @abstractmethod
    def argv(self, command: str) -> list[str]:
        """Host argv that runs ``command`` (a shell string) on the device."""

    @abstractmethod
    def push(self, local: str, remote: str, timeout: float = 300) -> None:
        """Copy a local file to ``remote`` on the device."""

    def explain(self, rc: int, stderr: str) -> str | None:
        """A one-line cause for a failure of the link itself, or None if the command itself failed."""
        return None

    def run(self, command: str, timeout: float = 60) -> tuple[int, str]:
        """Run to completion; (exit code, stdout). Link failures raise DeviceError."""
        try:
            p = subprocess.run(self.argv(command), capture_output=True, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"{self.uri}: no answer within {timeout:.0f} s: check the device is on "
                              "and reachable") from None
        why = self.explain(p.returncode, p.stderr)
        if why:
            raise DeviceError(f"{self.uri}: {why}")
        return p.returncode, p.stdout

    def stream(self, command: str) -> tuple[subprocess.Popen, IO[str]]:
        """Start ``command``; its stdout is a line stream, stderr goes to a temp file (no pipe deadlock)."""
        err = tempfile.TemporaryFile(mode="w+")
        # own session: the terminal's Ctrl-C reaches edgeq only, which then stops this stream itself
        p = subprocess.Popen(self.argv(command), stdout=subprocess.PIPE, stderr=err, text=True,
                             stdin=subprocess.DEVNULL, bufsize=1, start_new_session=True)
        with _streams_lock:
            _streams.add(p)
        return p, err

    def stream_done(self, p: subprocess.Popen) -> None:
        with _streams_lock:
            _streams.discard(p)

    def stream_status(self, rc: int, stdout_tail: list[str]) -> int | None:
        """The agent's own exit status: the transport's, unless the link carries it otherwise (adb)."""
        return rc

    def check(self, timeout: float = 10) -> None:
        """Raise DeviceError unless the device's shell answers a trivial command within ``timeout``."""
        rc, out = self.run("echo edgeq-ok", timeout=timeout)
        if rc != 0 or "edgeq-ok" not in out:
            raise DeviceError(f"{self.uri}: shell did not answer (exit {rc}): check the device's shell")

    def mkdtemp(self) -> str:
        rc, out = self.run(f'mktemp -d "${{TMPDIR:-{self.tmp_base}}}/edgeq.XXXXXX"')
        path = out.strip().splitlines()[-1] if out.strip() else ""
        if rc != 0 or not path.startswith("/"):
            raise DeviceError(f"{self.uri}: cannot create a working dir (mktemp exit {rc}): "
                              "make $TMPDIR writable on the device")
        return path

    def remove(self, path: str) -> None:
        self.run(f"rm -rf {shlex.quote(path)}", timeout=30)


def python_of(uri: DeviceUri, dev: Device) -> str | None:
    """The device's python: ``?python=`` in the URI, else the profile's ``python``, else the link's default."""
    return uri.options.get("python") or dev.extra.get("python")
