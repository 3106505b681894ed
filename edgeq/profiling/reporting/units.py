"""Numbers for people: a unit that fits the magnitude and a fixed count of significant digits.

Every figure edgeq shows (terminal, HTML, the demo) goes through these, so 0.011367 ms reads
``11.4 µs`` and 56619008 bytes reads ``54.0 MiB``.
"""
from __future__ import annotations

import math

DIGITS = 3

#: (unit, factor from ms), smallest first
_TIME = (("ns", 1e-6), ("µs", 1e-3), ("ms", 1.0), ("s", 1e3))
_BYTES = (("B", 1), ("KiB", 1024), ("MiB", 1024 ** 2), ("GiB", 1024 ** 3))
#: (unit, factor from µJ)
_ENERGY = (("nJ", 1e-3), ("µJ", 1.0), ("mJ", 1e3), ("J", 1e6))
#: (unit, factor from mW)
_POWER = (("µW", 1e-3), ("mW", 1.0), ("W", 1e3))


def sig(x: float, digits: int = DIGITS) -> str:
    """``x`` with ``digits`` significant digits in plain notation (integer digits are never dropped)."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    s = f"{x:.{decimals}f}"
    # rounding may carry into a new digit (9.996 -> 10.00): keep the count of significant digits
    if decimals and len(s.replace("-", "").replace(".", "").lstrip("0")) > digits:
        s = s[:-1]
    return s


def _scaled(value: float, units: tuple, digits: int) -> str:
    mag = abs(value)
    name, factor = units[0]
    for n, f in units:
        if mag >= f * 0.9995:  # 999.96 µs shows as 1.00 ms, not 1000 µs
            name, factor = n, f
    return f"{sig(value / factor, digits)} {name}"


def pick_unit(max_value: float, units: tuple) -> tuple[str, float]:
    """The unit :func:`_scaled` would use for ``max_value``: one unit for a whole axis or column."""
    name, factor = units[0]
    for n, f in units:
        if abs(max_value) >= f * 0.9995:
            name, factor = n, f
    return name, factor


def duration_ms(ms: float | None, digits: int = DIGITS) -> str:
    """A duration given in milliseconds: ``11.4 µs``, ``2.50 ms``, ``1.20 s``; ``—`` for None."""
    if ms is None:
        return "—"
    return "0 ms" if ms == 0 else _scaled(float(ms), _TIME, digits)


def size_bytes(n: float | None, digits: int = DIGITS) -> str:
    """A byte count in binary units: ``512 B``, ``21.3 KiB``, ``54.0 MiB``; ``—`` for None."""
    if n is None:
        return "—"
    if abs(n) < 1024:
        return f"{int(n)} B"
    return _scaled(float(n), _BYTES, digits)


def energy_uj(uj: float | None, digits: int = DIGITS) -> str:
    """Energy given in µJ: ``830 nJ``, ``12.5 µJ``, ``3.10 mJ``, ``1.20 J``."""
    return "—" if uj is None else _scaled(float(uj), _ENERGY, digits)


def power_mw(mw: float | None, digits: int = DIGITS) -> str:
    """Power given in mW: ``450 mW``, ``71.3 W``."""
    return "—" if mw is None else _scaled(float(mw), _POWER, digits)


def signed_percent(ratio: float | None, digits: int = DIGITS) -> str:
    """A relative change (0.123 → ``+12.3 %``, -0.05 → ``−5.00 %``)."""
    if ratio is None:
        return "—"
    pct = ratio * 100
    if pct == 0:
        return "±0 %"
    return f"{'+' if pct > 0 else '−'}{sig(abs(pct), digits)} %"


TIME_UNITS = _TIME
BYTE_UNITS = _BYTES
ENERGY_UNITS = _ENERGY


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10^k) inside [lo, hi], as close to ``count`` of them
    as those steps allow (never fewer than 3 when the range permits)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0) * 0.1
    mag = 10 ** math.floor(math.log10((hi - lo) / max(1, count - 1)))
    best: list[float] = []
    for step in (m * mag for m in (0.5, 1, 2, 2.5, 5, 10)):
        first = math.ceil(lo / step - 1e-9)
        last = math.floor(hi / step + 1e-9)
        ticks = [round(k * step, 12) for k in range(first, last + 1)]
        if len(ticks) <= count + 1 and (not best or abs(len(ticks) - count) < abs(len(best) - count)):
            best = ticks
    return best or [lo, hi]


def axis_labels_ms(ticks: list[float]) -> tuple[list[str], str]:
    """Tick labels for a time axis in ms, all in one unit (the one that fits the largest tick)."""
    name, factor = pick_unit(max(abs(t) for t in ticks) if ticks else 1.0, _TIME)
    out = []
    for t in ticks:
        v = t / factor
        out.append("0" if v == 0 else f"{v:.6g}")
    return out, name
