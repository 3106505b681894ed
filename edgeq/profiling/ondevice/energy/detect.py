"""Pick the energy reader a device profile names (or the first that works under ``root``)."""
from __future__ import annotations

from .base import EnergyReader, NoMeter
from .battery import BatteryReader
from .ina2xx import Ina2xxReader
from .odpm import OdpmReader
from .pmic import PmicReader
from .rapl import RaplReader

READERS = ("rapl", "ina2xx", "odpm", "battery", "pmic", "serial-monitor")
_AUTO_ORDER = ("odpm", "rapl", "ina2xx", "battery")


def detect_reader(source: str = "auto", root: str = "/", options: dict | None = None
                  ) -> tuple[EnergyReader | None, str | None]:
    """(reader, None) or (None, why there is none). ``source`` is a profile's ``energy`` field."""
    options = options or {}
    if source in ("none", "", None):
        return None, "no energy meter configured for this device"
    names = _AUTO_ORDER if source == "auto" else (source,)
    reasons = []
    for name in names:
        try:
            if name == "rapl":
                return RaplReader(root), None
            if name == "ina2xx":
                return Ina2xxReader(root, options.get("chip")), None
            if name == "odpm":
                return OdpmReader(root, options.get("rails")), None
            if name == "battery":
                return BatteryReader(root, options.get("supply", "battery"), options.get("current_unit")), None
            if name == "pmic":
                return PmicReader(options.get("command", "vcgencmd pmic_read_adc")), None
            if name == "serial-monitor":
                from .serial_monitor import SerialMonitorReader
                if not options.get("port"):
                    return None, "serial-monitor energy needs energy_port in the device profile"
                return SerialMonitorReader(options["port"], int(options.get("baud", 115200))), None
            reasons.append(f"unknown energy source '{name}' (choose from {', '.join(READERS)})")
        except NoMeter as e:
            reasons.append(f"{name}: {e}")
    return None, "; ".join(reasons)
