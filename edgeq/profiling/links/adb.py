"""Android (or any adbd) devices through the real ``adb`` client: push, shell, pull.

``adb://SERIAL`` names a device the adb server already knows; ``adb://host:port`` is adb over
TCP (we run ``adb connect`` first); ``?server=host:5037`` talks to a remote adb server.
adbd's v1 shell does not return exit codes, so commands echo theirs on a marker line.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from typing import TYPE_CHECKING

from ..errors import DeviceError
from .base import DeviceUri
from .shell import ShellLink, python_of

if TYPE_CHECKING:
    from ..devices import Device

RC_MARK = "@@EDGEQ_RC="


class AdbLink(ShellLink):
    scheme = "adb"
    usage = ("adb://SERIAL", "adb://host:port[?server=host:5037]")
    tmp_base = "/data/local/tmp"

    @classmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> AdbLink:
        # adb://SERIAL or adb://host:port; adb:// alone is the only attached device
        return cls(uri.netloc + uri.path, uri.options.get("server"), python_of(uri, dev),
                   uri.options.get("tmp") or dev.extra.get("tmp_base"), dev.extra.get("adb_key"))

    def __init__(self, serial: str, server: str | None = None, python: str | None = None,
                 tmp_base: str | None = None, adb_key: str | None = None):
        self.serial = serial
        # a profile's own key (the lab's phone) reaches an adb server this link starts
        self.env = None
        if adb_key:
            keys = [k for k in (os.environ.get("ADB_VENDOR_KEYS"), os.path.expanduser(adb_key)) if k]
            self.env = dict(os.environ, ADB_VENDOR_KEYS=os.pathsep.join(keys))
        self.server = server
        self.python = python or "python3"
        if tmp_base:
            self.tmp_base = tmp_base
        self.uri = f"adb://{serial}" + (f"?server={server}" if server else "")
        self.base = ["adb"]
        if server:
            host, _, port = server.partition(":")
            self.base += ["-H", host, "-P", port or "5037"]
        self._connected = False

    def _adb(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env=self.env)
        except FileNotFoundError:
            raise DeviceError("the adb client is not installed: apt install adb "
                              "(or Android platform-tools)") from None
        except subprocess.TimeoutExpired:
            raise DeviceError(f"{self.uri}: adb {args[0]} got no answer within {timeout:.0f} s: "
                              "check the device and the adb server") from None

    def connect(self, timeout: float = 15) -> None:
        """``adb connect`` for TCP serials, then wait until the device is online and authorized."""
        if self._connected:
            return
        tcp = bool(re.fullmatch(r"[^:/]+:\d+", self.serial))
        if tcp:  # adb over TCP
            p = self._adb("connect", self.serial, timeout=timeout)
            out = (p.stdout + p.stderr).strip()
            last = out.splitlines()[-1] if out else "no output"
            if "authenticate" in out or "unauthorized" in out:
                raise DeviceError(f"{self.uri}: authorization refused ({last}): accept this computer's "
                                  "RSA key on the device (Allow USB debugging) or install ~/.android/adbkey.pub")
            if "connected to" not in out:
                raise DeviceError(f"{self.uri}: adb connect failed ({last}): check the address and that "
                                  "adbd listens on that port")
        deadline = time.monotonic() + timeout
        state = None
        while True:
            state = self._state()
            if state == "device":
                self._connected = True
                return
            if state == "unauthorized":
                raise DeviceError(f"{self.uri}: authorization refused (device says unauthorized): accept "
                                  "this computer's RSA key on the device (Allow USB debugging)")
            if time.monotonic() > deadline or (state is None and not tcp):
                break  # a USB serial that adb does not list will not appear by waiting
            time.sleep(0.2)
        if state is None:
            raise DeviceError(f"{self.uri}: no such device in 'adb devices': plug it in, or use "
                              "adb://host:port for adb over TCP")
        raise DeviceError(f"{self.uri}: device is {state}: reconnect it (adb reconnect) and retry")

    def _state(self) -> str | None:
        p = self._adb("devices", timeout=10)
        if p.returncode != 0 and self.explain(p.returncode, p.stderr):
            # another thread (edgeq devices --check, parallel profiles) may be starting the server
            time.sleep(1.0)
            p = self._adb("devices", timeout=10)
        if p.returncode != 0:
            why = self.explain(p.returncode, p.stderr) or (p.stderr.strip() or "adb devices failed")
            raise DeviceError(f"{self.uri}: {why}")
        rows = [ln.split("\t") for ln in p.stdout.splitlines()[1:] if "\t" in ln]
        if not self.serial:
            if len(rows) > 1:
                raise DeviceError(f"{self.uri}: {len(rows)} devices attached: name one with adb://SERIAL")
            return rows[0][1].strip() if rows else None
        for serial, state in rows:
            if serial == self.serial:
                return state.strip()
        return None

    def argv(self, command: str) -> list[str]:
        wrapped = f"{command}; echo {RC_MARK}$?"
        return [*self.base, *self._sel(), "shell", wrapped]

    def _sel(self) -> list[str]:
        return ["-s", self.serial] if self.serial else []

    def run(self, command: str, timeout: float = 60) -> tuple[int, str]:
        self.connect()
        rc, out = super().run(command, timeout)
        return _split_rc(out, rc, self.uri)

    def stream(self, command: str):
        self.connect()
        return super().stream(command)

    def stream_status(self, rc: int, stdout_tail: list[str]) -> int | None:
        # adb's v1 shell ends with status 0 whatever ran: the agent's status is on the marker line
        for line in reversed(stdout_tail):
            if line.startswith(RC_MARK):
                try:
                    return int(line[len(RC_MARK):].strip())
                except ValueError:
                    return None
        return None  # no marker: the shell itself was cut (the device went away)

    def explain(self, rc: int, stderr: str) -> str | None:
        s = stderr.lower()
        if "device" in s and ("not found" in s or "offline" in s):
            return f"{stderr.strip().splitlines()[-1]}: check 'adb devices'"
        if "cannot connect to daemon" in s or "failed to check server version" in s:
            return "cannot reach the adb server: start it (adb start-server) or fix ?server="
        return None

    def push(self, local: str, remote: str, timeout: float = 300) -> None:
        self.connect()
        p = self._adb(*self._sel(), "push", local, remote, timeout=timeout)
        if p.returncode != 0:
            msg = (p.stderr or p.stdout).strip().splitlines()
            raise DeviceError(f"{self.uri}: adb push {os.path.basename(local)} failed: "
                              f"{msg[-1] if msg else 'no message'}")

    def pull(self, remote: str, local: str, timeout: float = 300) -> None:
        self.connect()
        p = self._adb(*self._sel(), "pull", remote, local, timeout=timeout)
        if p.returncode != 0:
            msg = (p.stderr or p.stdout).strip().splitlines()
            raise DeviceError(f"{self.uri}: adb pull {remote} failed: {msg[-1] if msg else 'no message'}")


def _split_rc(out: str, transport_rc: int, uri: str) -> tuple[int, str]:
    lines = out.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(RC_MARK):
            return int(lines[i][len(RC_MARK):].strip() or 1), "\n".join(lines[:i]) + ("\n" if i else "")
    raise DeviceError(f"{uri}: the shell ended without an exit status (exit {transport_rc}): "
                      "the device disconnected")
