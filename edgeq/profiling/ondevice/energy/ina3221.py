"""Jetson-style INA3221 triple-channel monitors through hwmon (driver ``ina3221``): per channel
``inN_label`` (rail name), ``inN_input`` (bus mV) and ``currN_input`` (mA); power is mV × mA = µW.

The Jetson modules label their board input ``VDD_IN``; when such a rail exists only it is read (the
other rails are inside it), otherwise every channel is summed. Older Jetsons (Nano, TX2) expose their
monitors through the ``ina3221x`` IIO driver instead, which this reader does not read.
"""
from __future__ import annotations

import glob
import os

from .base import EnergyReader, NoMeter

INPUT_RAILS = ("VDD_IN", "VIN_SYS_5V0", "POM_5V_IN")


class Ina3221Reader(EnergyReader):
    name = "ina3221"
    kind = "power"
    min_window_s = 1.0
    sample_period_s = 0.02

    @classmethod
    def from_options(cls, root: str, options: dict) -> Ina3221Reader:
        return cls(root, options.get("rails"))

    def __init__(self, root: str = "/", rails: list[str] | None = None):
        chans: dict[str, tuple[str, str]] = {}  # rail → (voltage file, current file)
        # hwmonX numbering changes across boots, so match by name
        for d in sorted(glob.glob(os.path.join(root, "sys/class/hwmon/hwmon*"))):
            try:
                with open(os.path.join(d, "name")) as f:
                    if f.read().strip() != "ina3221":
                        continue
            except OSError:
                continue
            for ch in (1, 2, 3):
                v, c = os.path.join(d, f"in{ch}_input"), os.path.join(d, f"curr{ch}_input")
                if not (os.path.exists(v) and os.path.exists(c)):
                    continue
                try:
                    with open(os.path.join(d, f"in{ch}_label")) as f:
                        label = f.read().strip()
                except OSError:
                    label = f"{os.path.basename(d)}/in{ch}"
                chans[label] = (v, c)
        if not chans:
            raise NoMeter(f"no INA3221 hwmon channels under {root}sys/class/hwmon")
        if rails:
            missing = [r for r in rails if r not in chans]
            if missing:
                raise NoMeter(f"INA3221 rails {', '.join(missing)} not present (have {', '.join(sorted(chans))})")
            self.rails = list(rails)
        else:
            top = [r for r in INPUT_RAILS if r in chans]
            self.rails = top[:1] or sorted(chans)
        self.files = [chans[r] for r in self.rails]
        self.read()

    def read(self) -> float:
        """µW now, summed over the chosen rails (mV × mA)."""
        total = 0.0
        for v, c in self.files:
            with open(v) as fv, open(c) as fc:
                total += int(fv.read().strip()) * int(fc.read().strip())
        return total

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "rails": self.rails}
