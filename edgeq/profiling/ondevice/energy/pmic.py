"""Raspberry Pi 5 PMIC ADCs via ``vcgencmd pmic_read_adc``.

Lines look like ``VDD_CORE_A current(7)=0.92871990A`` and ``VDD_CORE_V volt(15)=0.72097620V``;
power is Σ V·I over rails that have both. EXT5V has a voltage but no current, so this is the
SoC-side rails, not the whole board.
"""
from __future__ import annotations

import re
import shlex
import subprocess

from .base import EnergyReader, NoMeter

_LINE = re.compile(r"^\s*(\S+)_([AV])\s+(current|volt)\(\d+\)=([-+0-9.eE]+)[AV]\s*$")


def parse_pmic(text: str) -> dict[str, dict[str, float]]:
    """Rail → {"A": amps, "V": volts} from pmic_read_adc output."""
    rails: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            rails.setdefault(m.group(1), {})[m.group(2)] = float(m.group(4))
    return rails


def rails_power_w(rails: dict[str, dict[str, float]]) -> float:
    return sum(r["A"] * r["V"] for r in rails.values() if "A" in r and "V" in r)


class PmicReader(EnergyReader):
    name = "pmic"
    kind = "power"
    min_window_s = 2.0
    sample_period_s = 0.1  # each sample spawns vcgencmd

    @classmethod
    def from_options(cls, root: str, options: dict) -> PmicReader:
        return cls(options.get("command", "vcgencmd pmic_read_adc"))

    def __init__(self, command: str | list[str] = "vcgencmd pmic_read_adc"):
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        try:
            rails = parse_pmic(self._run())
        except (OSError, subprocess.SubprocessError) as e:
            raise NoMeter(f"'{' '.join(self.argv)}' failed: {e}") from None
        if not any("A" in r and "V" in r for r in rails.values()):
            raise NoMeter(f"'{' '.join(self.argv)}' printed no rail with both current and voltage")

    def _run(self) -> str:
        return subprocess.run(self.argv, capture_output=True, text=True, timeout=5, check=True).stdout

    def read(self) -> float:
        return rails_power_w(parse_pmic(self._run())) * 1e6

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "command": " ".join(self.argv),
                "note": "SoC PMIC rails only: EXT5V input current is not measured"}
