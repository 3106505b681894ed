"""Pick the energy reader a device profile names (or the first that works under ``root``)."""
from __future__ import annotations

from .base import EnergyReader, NoMeter
from .battery import BatteryReader
from .ina2xx import Ina2xxReader
from .ina3221 import Ina3221Reader
from .nvml import NvmlReader
from .odpm import OdpmReader
from .pmic import PmicReader
from .rapl import RaplReader
from .serial_monitor import SerialMonitorReader

#: a profile's ``energy`` name → its reader
READERS: dict[str, type[EnergyReader]] = {
    cls.name: cls for cls in (RaplReader, Ina2xxReader, Ina3221Reader, OdpmReader, BatteryReader, PmicReader,
                              SerialMonitorReader, NvmlReader)}
#: what ``energy = "auto"`` tries, in order (NVML, a GPU-only meter, is read for GPU-delegate configurations
#: on top of the device's meter: see ``measure``)
AUTO_ORDER = ("odpm", "rapl", "ina2xx", "ina3221", "battery")


def detect_reader(source: str = "auto", root: str = "/", options: dict | None = None
                  ) -> tuple[EnergyReader | None, str | None]:
    """(reader, None) or (None, why there is none). ``source`` is a profile's ``energy`` field."""
    if source in ("none", "", None):
        return None, "no energy meter configured for this device"
    reasons = []
    for name in AUTO_ORDER if source == "auto" else (source,):
        if name not in READERS:
            reasons.append(f"unknown energy source '{name}' (choose from {', '.join(READERS)})")
            continue
        try:
            return READERS[name].from_options(root, options or {}), None
        except NoMeter as e:
            reasons.append(f"{name}: {e}")
    return None, "; ".join(reasons)
