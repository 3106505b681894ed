"""Linux powercap / Intel RAPL package counters (``intel-rapl:N/energy_uj``, µJ, cumulative)."""
from __future__ import annotations

import glob
import os

from .base import EnergyReader, NoMeter


class RaplReader(EnergyReader):
    name = "rapl"
    kind = "counter"
    min_window_s = 0.1  # the MSR updates about every millisecond

    @classmethod
    def from_options(cls, root: str, options: dict) -> RaplReader:
        return cls(root)

    def __init__(self, root: str = "/"):
        base = os.path.join(root, "sys/class/powercap")
        # top-level package domains only (intel-rapl:0), their subzones (intel-rapl:0:0) are inside them
        self.domains = sorted(d for d in glob.glob(os.path.join(base, "intel-rapl:*"))
                              if os.path.basename(d).count(":") == 1)
        if not self.domains:
            raise NoMeter(f"no RAPL domains under {base}")
        self.ranges = {}
        for d in self.domains:
            try:
                with open(os.path.join(d, "max_energy_range_uj")) as f:
                    self.ranges[d] = int(f.read().strip())
                with open(os.path.join(d, "energy_uj")) as f:
                    int(f.read().strip())
            except PermissionError:
                raise NoMeter(f"{d}/energy_uj is root-only (CVE-2020-8694 fix): run as root "
                              "or make it readable") from None
            except (OSError, ValueError) as e:
                raise NoMeter(f"{d} unreadable: {e}") from None

    def read(self) -> dict:
        out = {}
        for d in self.domains:
            with open(os.path.join(d, "energy_uj")) as f:
                out[d] = int(f.read().strip())
        return out

    def delta_uj(self, before: dict, after: dict) -> float:
        total = 0
        for d in self.domains:
            diff = after[d] - before[d]
            if diff < 0:  # the counter wrapped at max_energy_range_uj
                diff += self.ranges[d] + 1
            total += diff
        return float(total)

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "domains": [os.path.basename(d) for d in self.domains]}
