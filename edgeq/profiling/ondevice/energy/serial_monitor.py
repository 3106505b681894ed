"""An external energy monitor on a serial port (an interface board in front of a PPK2, INA228…).

Line protocol (ASCII, ``\\n`` terminated), designed for edgeq:

    host → monitor: ``E?``
    monitor → host: ``E <cumulative_uJ> <monitor_time_us>``
    on error:       ``ERR <reason>``

The cumulative counter is an unsigned integer that never decreases; the monitor does the
sampling and integration at its own rate, so one query before and one after a window suffice.
"""
from __future__ import annotations

from .base import EnergyReader, NoMeter


def parse_reply(line: str) -> tuple[int, int]:
    parts = line.strip().split()
    if len(parts) == 3 and parts[0] == "E":
        return int(parts[1]), int(parts[2])
    if parts and parts[0] == "ERR":
        raise NoMeter(f"energy monitor error: {' '.join(parts[1:])}")
    raise NoMeter(f"energy monitor sent '{line.strip()}', expected 'E <uJ> <us>'")


class SerialMonitorReader(EnergyReader):
    name = "serial-monitor"
    kind = "counter"
    min_window_s = 1.0

    @classmethod
    def from_options(cls, root: str, options: dict) -> SerialMonitorReader:
        if not options.get("port"):
            raise NoMeter("needs energy_port in the device profile")
        return cls(options["port"], int(options.get("baud", 115200)))

    def __init__(self, port: str, baud: int = 115200, timeout: float = 2.0):
        try:
            import serial  # pyserial
        except ImportError:
            raise NoMeter("pyserial is not installed: pip install pyserial") from None
        try:
            self.ser = serial.serial_for_url(port, baudrate=baud, timeout=timeout)
        except (serial.SerialException, OSError) as e:
            raise NoMeter(f"cannot open energy monitor port {port}: {e}") from None
        self.port = port
        self.read()

    def read(self) -> tuple[int, int]:
        self.ser.reset_input_buffer()
        self.ser.write(b"E?\n")
        line = self.ser.readline().decode("ascii", "replace")
        if not line:
            raise NoMeter(f"energy monitor on {self.port} did not answer within the timeout")
        return parse_reply(line)

    def delta_uj(self, before: tuple[int, int], after: tuple[int, int]) -> float:
        return float(after[0] - before[0])

    def close(self) -> None:
        self.ser.close()

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "port": self.port}
