"""Figures in reports: units that fit the magnitude, three significant digits, round axis ticks."""
from __future__ import annotations

import pytest

from edgeq.profiling.reporting import units


@pytest.mark.parametrize("ms, text", [
    (0.011366999999040672, "11.4 µs"),   # the demo's median as it used to be printed
    (0.0000123, "12.3 ns"), (0.5, "500 µs"), (0.99996, "1.00 ms"), (2.5, "2.50 ms"), (12.345, "12.3 ms"),
    (999.4, "999 ms"), (1500.0, "1.50 s"), (125000.0, "125 s"), (0.0, "0 ms"), (None, "—")])
def test_durations(ms, text):
    assert units.duration_ms(ms) == text


@pytest.mark.parametrize("n, text", [
    (56619008, "54.0 MiB"), (512, "512 B"), (21800, "21.3 KiB"), (1023, "1023 B"), (1024, "1.00 KiB"),
    (3 * 1024 ** 3, "3.00 GiB"), (None, "—")])
def test_sizes(n, text):
    assert units.size_bytes(n) == text


def test_energy_power_percent():
    assert units.energy_uj(0.83) == "830 nJ"
    assert units.energy_uj(12.5) == "12.5 µJ"
    assert units.energy_uj(3100) == "3.10 mJ"
    assert units.energy_uj(1.2e6) == "1.20 J"
    assert units.power_mw(71300) == "71.3 W"
    assert units.power_mw(450) == "450 mW"
    assert units.signed_percent(0.123) == "+12.3 %"
    assert units.signed_percent(-0.05) == "−5.00 %"
    assert units.signed_percent(0) == "±0 %"


def test_sig_keeps_integer_digits_and_rounds_carry():
    assert units.sig(123456.7) == "123457"
    assert units.sig(9.996) == "10.0"
    assert units.sig(0.0017734) == "0.00177"


def test_ticks_are_round_and_cover_the_range():
    # the steady-state axis used to read 0.00177 … 0.0182
    t = units.nice_ticks(0.00177, 0.0182)
    assert t[0] >= 0.00177 and t[-1] <= 0.0182 and 3 <= len(t) <= 7
    steps = {round(b - a, 12) for a, b in zip(t, t[1:])}
    assert len(steps) == 1 and str(steps.pop()).rstrip("0").rstrip(".")[-1] in "125"
    labels, unit = units.axis_labels_ms(t)
    assert unit == "µs" and all(len(x) <= 4 for x in labels)
    assert units.axis_labels_ms([0, 500, 1000, 1500])[1] == "s"
