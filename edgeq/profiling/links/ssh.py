"""ssh devices through the OpenSSH ssh client, so the user's keys, ~/.ssh/config and agent apply.

Host keys are checked strictly: ``StrictHostKeyChecking=yes`` on the command line (which wins over any
config file), so only a key already in the user's known_hosts is trusted, never one first seen now.
BatchMode stops password prompts from hanging a run. Extra client options come from
``$EDGEQ_SSH_OPTS`` or the profile's ``ssh_config`` (passed as ``-F``). The URI's user, host and port
are checked before they reach ssh's command line, so none can pass for an option.
"""
from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from typing import TYPE_CHECKING

from ..errors import DeviceError, ProfileError
from .base import DeviceUri
from .shell import ShellLink, python_of

if TYPE_CHECKING:
    from ..devices import Device

_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_HOST = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})|[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")
#: seconds the shared connection outlives its last command (close() ends it at once)
CONTROL_PERSIST_S = 10

_open_links: set["SshLink"] = set()
_open_lock = threading.Lock()


def close_all() -> None:
    """End every shared ssh connection still open (on exit, and when a run is interrupted)."""
    with _open_lock:
        links = list(_open_links)
    for link in links:
        link.close()


atexit.register(close_all)


class SshLink(ShellLink):
    scheme = "ssh"
    usage = ("ssh://user@host[:port]",)

    @classmethod
    def check_uri(cls, uri: DeviceUri) -> None:
        if not uri.host:
            raise ProfileError(f"device '{uri.text}' has no host: write ssh://user@host[:port]")
        userinfo = uri.netloc.rpartition("@")[0] if "@" in uri.netloc else None
        if userinfo is not None and (":" in userinfo or not _USER.fullmatch(userinfo)):
            raise ProfileError(f"device '{uri.text}': user '{userinfo}' is not a login name (letters, digits, "
                               "'.', '_', '-', not first; no password): write ssh://user@host[:port]")
        if not _HOST.fullmatch(uri.host):
            raise ProfileError(f"device '{uri.text}': host '{uri.host}' is not a host name or address: "
                               "write ssh://user@host[:port]")
        if uri.port is not None and not 1 <= uri.port <= 65535:
            raise ProfileError(f"device '{uri.text}': port {uri.port} is not 1..65535: write ssh://user@host:PORT")
        if uri.path not in ("", "/"):
            raise ProfileError(f"device '{uri.text}' has a path ('{uri.path}'): write ssh://user@host[:port]")

    @classmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> SshLink:
        return cls(uri.user, uri.host, uri.port, python_of(uri, dev), dev.extra.get("ssh_config"))

    def __init__(self, user: str | None, host: str, port: int | None = None, python: str | None = None,
                 ssh_config: str | None = None, connect_timeout: int = 10):
        self.user, self.host, self.port = user, host, port
        self.python = python or "python3"
        self.uri = f"ssh://{user + '@' if user else ''}{host}{':' + str(port) if port else ''}"
        opts = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", f"ConnectTimeout={connect_timeout}",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
        if ssh_config:
            opts += ["-F", os.path.expanduser(ssh_config)]
        opts += shlex.split(os.environ.get("EDGEQ_SSH_OPTS", ""))
        # one authenticated connection carries every command of a run (a handshake costs ~0.5 s
        # on a Pi); the control socket lives in a private dir and is closed in close()
        self._ctl_dir = tempfile.mkdtemp(prefix="edgeq-ssh-")
        if len(self._ctl_dir) > 100:  # a unix socket path has 108 bytes; a long $TMPDIR would not fit
            os.rmdir(self._ctl_dir)
            self._ctl_dir = tempfile.mkdtemp(prefix="edgeq-ssh-", dir="/tmp")
        self._plain_opts = list(opts)  # after close(): one connection per command, none left behind
        opts += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self._ctl_dir}/m",
                 "-o", f"ControlPersist={CONTROL_PERSIST_S}"]
        self.opts = opts
        with _open_lock:
            _open_links.add(self)

    @property
    def target(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def argv(self, command: str) -> list[str]:
        port = ["-p", str(self.port)] if self.port else []
        # '--' before the target: nothing after it is read as an option
        return ["ssh", *self.opts, *port, "--", self.target, command]

    def push(self, local: str, remote: str, timeout: float = 300) -> None:
        # 'cat >' over ssh needs only a POSIX shell on the device: no sftp subsystem
        # (which OpenSSH 9's scp requires) and nothing dropbear-based boards lack
        try:
            with open(local, "rb") as f:
                p = subprocess.run(self.argv(f"cat > {shlex.quote(remote)}"), stdin=f, capture_output=True,
                                   text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"{self.uri}: copying {os.path.basename(local)} took over {timeout:.0f} s: "
                              "check the link") from None
        if p.returncode != 0:
            why = self.explain(p.returncode, p.stderr) or f"writing {remote} failed ({_last(p.stderr)})"
            raise DeviceError(f"{self.uri}: {why}")

    def close(self) -> None:
        with _open_lock:
            if self not in _open_links:
                return
            _open_links.discard(self)
        mux, self.opts = self.opts, self._plain_opts + ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
        port = ["-p", str(self.port)] if self.port else []
        if os.listdir(self._ctl_dir):  # a master was started
            try:
                subprocess.run(["ssh", *mux, *port, "-O", "exit", "--", self.target], capture_output=True,
                               timeout=10, stdin=subprocess.DEVNULL)
            except (subprocess.TimeoutExpired, OSError):
                pass
        shutil.rmtree(self._ctl_dir, ignore_errors=True)

    def stream_status(self, rc: int, stdout_tail: list[str]) -> int | None:
        # 255 is ssh's own failure, and also what it returns when the remote command died by a signal
        return None if rc == 255 else rc

    def explain(self, rc: int, stderr: str) -> str | None:
        if rc != 255:  # 255 is ssh's own failure; anything else is the remote command's exit code
            return None
        s = stderr.lower()
        if "host key verification failed" in s or "remote host identification has changed" in s:
            return ("host key not trusted: add the device's key to known_hosts "
                    "(ssh-keyscan, after checking its fingerprint)")
        if "permission denied" in s:
            return "authentication refused: install your public key in the device's authorized_keys"
        if "connection refused" in s:
            return "connection refused: is sshd running on that port?"
        if "timed out" in s or "no route" in s or "could not resolve" in s or "name or service" in s:
            return f"host unreachable ({_last(stderr)}): check the address and network"
        if not stderr.strip():
            return "the ssh connection dropped (ssh exited 255 with no message): check the device and network"
        return f"ssh failed: {_last(stderr)}"


def _last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "no message"
