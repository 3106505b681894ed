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


def test_box_plot_axis_shows_the_box_of_a_long_tailed_configuration():
    # one configuration on a loaded machine: p5..p75 within 11-12 µs, p95 200 µs. The linear axis (0..210 µs) drew
    # the p25..p75 box 2 px wide at its low end; a log axis gives it room. A tight one stays linear.
    import re

    from edgeq.profiling.reporting import svg

    def box_width(rows):
        out = svg.box_plot(rows)
        return float(re.search(r"<rect x='[\d.]+' y='\d+' width='([\d.]+)'", out).group(1)), out

    w, out = box_width([{"label": "cpu/t1", "box": [0.011, 0.0113, 0.0115, 0.012, 0.2]}])
    assert "(log scale)" in out and w > 10, (w, out)
    w, out = box_width([{"label": "cpu/t1", "box": [0.0070, 0.0071, 0.0072, 0.0073, 0.0074]}])
    assert "(log scale)" not in out and w > 200, (w, out)
    # a wide range across configurations was log before and still is
    _, out = box_width([{"label": "a", "box": [0.01, 0.011, 0.012, 0.013, 0.014]},
                        {"label": "b", "box": [1.0, 1.1, 1.2, 1.3, 1.4]}])
    assert "(log scale)" in out
