"""Pixel (6 and later) on-device power monitor rails: ``iio:device*/energy_value``.

Format, one file per ODPM chip::

    t=473034
    CH0(T=473034)[S10M_VDD_TPU], 3013277
    CH1(T=473034)[VSYS_PWR_MODEM], 1260310

Values are cumulative µW·s (= µJ) since boot; the driver refreshes them only every few
hardware periods, so windows must last seconds.
"""
from __future__ import annotations

import glob
import os
import re

from .base import EnergyReader, NoMeter

_LINE = re.compile(r"^CH(\d+)\(T=(\d+)\)\[([^\]]+)\],\s*(\d+)\s*$")


def parse_energy_value(text: str) -> dict[str, tuple[int, int]]:
    """Rail name → (timestamp ms, cumulative µJ)."""
    rails = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            rails[m.group(3)] = (int(m.group(2)), int(m.group(4)))
    return rails


class OdpmReader(EnergyReader):
    name = "odpm"
    kind = "counter"
    min_window_s = 2.0

    @classmethod
    def from_options(cls, root: str, options: dict) -> OdpmReader:
        return cls(root, options.get("rails"))

    def __init__(self, root: str = "/", rails: list[str] | None = None):
        self.files = sorted(glob.glob(os.path.join(root, "sys/bus/iio/devices/iio:device*/energy_value")))
        if not self.files:
            raise NoMeter(f"no ODPM energy_value files under {root}sys/bus/iio/devices")
        first = self.read()
        if not first:
            raise NoMeter("ODPM energy_value files hold no CH<n>(T=..)[RAIL], value lines")
        self.rails = list(rails) if rails else sorted(first)
        missing = [r for r in self.rails if r not in first]
        if missing:
            raise NoMeter(f"ODPM rails {', '.join(missing)} not present (have {', '.join(sorted(first))})")

    def read(self) -> dict[str, tuple[int, int]]:
        rails: dict[str, tuple[int, int]] = {}
        for fn in self.files:
            with open(fn) as f:
                rails.update(parse_energy_value(f.read()))
        return rails

    def delta_uj(self, before: dict, after: dict) -> float:
        return float(sum(after[r][1] - before[r][1] for r in self.rails))

    def delta_by_rail(self, before: dict, after: dict) -> dict[str, int]:
        return {r: after[r][1] - before[r][1] for r in self.rails}

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "rails": self.rails}
