"""hwmon INA2xx shunt monitors: ``energy1_input`` (µJ, INA228/237/780) when present, else ``power1_input`` (µW)."""
from __future__ import annotations

import glob
import os

from .base import EnergyReader, NoMeter

# driver names as the kernel's ina2xx and ina238 drivers report them in hwmonX/name
INA_NAMES = ("ina219", "ina220", "ina226", "ina230", "ina231", "ina228", "ina237", "ina238", "ina780", "sq52206")


class Ina2xxReader(EnergyReader):
    name = "ina2xx"

    @classmethod
    def from_options(cls, root: str, options: dict) -> Ina2xxReader:
        return cls(root, options.get("chip"))

    def __init__(self, root: str = "/", chip: str | None = None):
        found = []
        # hwmonX numbering changes across boots, so match by name
        for d in sorted(glob.glob(os.path.join(root, "sys/class/hwmon/hwmon*"))):
            try:
                with open(os.path.join(d, "name")) as f:
                    nm = f.read().strip()
            except OSError:
                continue
            if (chip and nm == chip) or (not chip and nm in INA_NAMES):
                found.append((d, nm))
        if not found:
            raise NoMeter(f"no INA2xx hwmon device under {root}sys/class/hwmon")
        self.path, self.chip = found[0]
        self.energy_file = os.path.join(self.path, "energy1_input")
        self.power_file = os.path.join(self.path, "power1_input")
        if os.path.exists(self.energy_file):
            self.kind = "counter"
            self.min_window_s = 0.5
        elif os.path.exists(self.power_file):
            self.kind = "power"
            self.min_window_s = 1.0
            self.sample_period_s = 0.01
        else:
            raise NoMeter(f"{self.path} ({self.chip}) has neither energy1_input nor power1_input")

    def read(self) -> float:
        with open(self.energy_file if self.kind == "counter" else self.power_file) as f:
            return float(int(f.read().strip()))

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "chip": self.chip, "hwmon": os.path.basename(self.path)}
