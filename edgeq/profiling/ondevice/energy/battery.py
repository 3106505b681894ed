"""Android / Linux battery fuel gauge: ``power_supply/battery/current_now`` × ``voltage_now``.

Drivers disagree on the sign of current_now (kernel docs: negative while discharging;
many Android gauges: positive) and a few report mA instead of µA, so we use the magnitude,
refuse while charging (USB power would pollute it) and detect mA by range.
"""
from __future__ import annotations

import os

from .base import EnergyReader, NoMeter

# a phone or board under load draws 20 mA .. 10 A; 20000 as a µA count is 20 mA, as mA it would be 20 A
_MA_LIMIT = 20000


class BatteryReader(EnergyReader):
    name = "battery"
    kind = "power"
    min_window_s = 5.0  # fuel gauges average over ~1 s windows
    sample_period_s = 0.25

    @classmethod
    def from_options(cls, root: str, options: dict) -> BatteryReader:
        return cls(root, options.get("supply", "battery"), options.get("current_unit"))

    def __init__(self, root: str = "/", supply: str = "battery", current_unit: str | None = None):
        self.dir = os.path.join(root, "sys/class/power_supply", supply)
        for f in ("current_now", "voltage_now"):
            if not os.path.exists(os.path.join(self.dir, f)):
                raise NoMeter(f"{self.dir}/{f} missing: this device has no readable fuel gauge")
        status = self._text("status") if os.path.exists(os.path.join(self.dir, "status")) else "Unknown"
        if status in ("Charging", "Full"):
            raise NoMeter(f"battery status is '{status}': unplug USB power (or disable charging) "
                          "so the gauge measures the device")
        self.status = status
        if current_unit is None:
            cur = abs(int(self._text("current_now")))
            current_unit = "mA" if 0 < cur < _MA_LIMIT else "uA"
        if current_unit not in ("uA", "mA"):
            raise NoMeter(f"current_unit '{current_unit}' unknown: use uA or mA")
        self.current_unit = current_unit

    def _text(self, name: str) -> str:
        with open(os.path.join(self.dir, name)) as f:
            return f.read().strip()

    def read(self) -> float:
        """Instantaneous power drawn from the battery in µW (sign convention removed)."""
        cur_ua = abs(int(self._text("current_now"))) * (1000 if self.current_unit == "mA" else 1)
        volt_uv = int(self._text("voltage_now"))
        return cur_ua * volt_uv / 1e6

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "current_unit": self.current_unit, "status": self.status}
