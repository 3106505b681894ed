"""Serial ports to microcontroller boards, framed as MLPerf Tiny's runner does it.

A command goes out ending with ``%``; the board answers ``m-…`` lines and ``m-ready`` after each
command, ``e-[reason]`` on errors. Which commands there are is the micro-serial runner's business
(``runners/micro_serial.py``).
"""
from __future__ import annotations

import termios
import time
from typing import TYPE_CHECKING

from ..errors import DeviceError, ProfileError
from .base import DeviceUri, Link

if TYPE_CHECKING:
    from ..devices import Device

#: an answer line longer than this, or more lines than LINES_MAX, is not the protocol: the board is babbling
LINE_MAX = 4096
LINES_MAX = 10000
POLL_S = 0.1  # one read's wait; the command's deadline is checked after every read


class SerialLink(Link):
    """One open serial link to a board."""

    scheme = "serial"
    usage = ("serial:///dev/ttyACM0?baud=115200",)
    runner = "micro-serial"

    @classmethod
    def check_uri(cls, uri: DeviceUri) -> None:
        if not uri.path:
            raise ProfileError(f"device '{uri.text}' has no port path: write serial:///dev/ttyACM0?baud=115200")

    @classmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> SerialLink:
        return cls(uri, timeout)

    def __init__(self, uri: DeviceUri, timeout: float = 10.0):
        import serial
        self.uri = uri.text
        port = uri.path
        try:
            baud = int(uri.options.get("baud", 115200))
        except ValueError:
            raise DeviceError(f"{uri.text}: baud '{uri.options['baud']}' is not a number") from None
        try:
            self.ser = serial.Serial(port, baudrate=baud, timeout=POLL_S)
        except (serial.SerialException, OSError) as e:
            raise DeviceError(f"{uri.text}: cannot open {port} ({e}): check the cable, the path "
                              "and that you may use it (dialout group)") from None
        self.timeout = timeout

    def close(self) -> None:
        import serial
        try:
            self.ser.close()
        except (serial.SerialException, OSError, termios.error):
            pass  # the board is already gone; the command that noticed reported it

    def command(self, cmd: str, timeout: float | None = None) -> list[str]:
        """Send ``cmd%``; return the ``m-`` lines up to ``m-ready``; ``e-`` lines raise DeviceError.

        The whole answer must arrive within ``timeout`` however the board behaves: a board that keeps
        sending (endless lines, or bytes with no newline) is stopped by the same deadline as a silent one."""
        import serial
        limit = timeout or self.timeout
        name = cmd.split()[0]
        try:
            self.ser.write(cmd.encode("ascii") + b"%")
            self.ser.flush()
            lines: list[str] = []
            error = None
            buf = bytearray()
            received = 0
            deadline = time.monotonic() + limit
            while True:
                if time.monotonic() > deadline:
                    what = ("the board stopped responding" if not received else
                            f"the board sent {received} bytes without finishing with m-ready")
                    raise DeviceError(f"{self.uri}: no complete answer to '{name}' within {limit:.0f} s: {what}")
                chunk = self.ser.read(max(1, min(self.ser.in_waiting, 65536)))
                received += len(chunk)
                buf += chunk
                while b"\n" in buf:
                    raw, _, rest = bytes(buf).partition(b"\n")
                    buf = bytearray(rest)
                    line = raw.decode("ascii", "replace").strip()
                    if not line:
                        continue
                    if line == "m-ready":
                        if error:
                            raise DeviceError(f"{self.uri}: board refused '{name}': {error}")
                        return lines
                    if line.startswith("e-"):
                        error = line[2:].strip("[]")  # still read up to m-ready to stay in step
                        continue
                    lines.append(line)
                    if len(lines) > LINES_MAX:
                        raise DeviceError(f"{self.uri}: the answer to '{name}' ran past {LINES_MAX} lines "
                                          "without m-ready: the firmware does not follow the protocol")
                if len(buf) > LINE_MAX:
                    raise DeviceError(f"{self.uri}: the answer to '{name}' has a line over {LINE_MAX} bytes "
                                      "(no newline): the firmware does not follow the protocol or the baud rate "
                                      "is wrong")
        except (serial.SerialException, OSError, termios.error) as e:
            raise DeviceError(f"{self.uri}: serial link lost ({e}): the board disconnected") from None

    def check(self, timeout: float = 10) -> None:
        """Raise DeviceError unless the board answers ``name`` within ``timeout``."""
        self.command("name", timeout=timeout)
