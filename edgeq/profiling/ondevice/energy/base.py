"""What every energy reader offers, and how a measurement window turns readings into joules.

Two kinds of meters exist: cumulative counters (RAPL, ODPM, INA228 energy, serial monitor)
read once before and once after a window, and instantaneous power gauges (INA219 power,
battery fuel gauge, Pi 5 PMIC) sampled by a background thread and integrated.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
import time
from typing import Any, Callable


class NoMeter(Exception):
    """No usable meter; ``str(e)`` is the reason recorded in the result (never a made-up figure)."""


class EnergyReader(ABC):
    """One kind of meter; ``name`` is what a device profile's ``energy`` field calls it (see ``detect.READERS``)."""

    name = "base"
    kind = "counter"  # "counter": read() gives cumulative µJ state; "power": read() gives µW now
    #: shortest window that spans several meter refreshes (seconds)
    min_window_s = 1.0
    #: background sampling period for power gauges (seconds)
    sample_period_s = 0.05

    @classmethod
    @abstractmethod
    def from_options(cls, root: str, options: dict) -> EnergyReader:
        """The reader for sysfs under ``root`` and the profile's ``energy_options``; NoMeter with the reason
        when this device has no such meter."""

    @abstractmethod
    def read(self) -> Any:
        """Cumulative µJ state (counters) or µW now (power gauges)."""

    def delta_uj(self, before: Any, after: Any) -> float:
        """Energy between two counter readings in µJ (counters override for wraparound)."""
        return float(after) - float(before)

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind}


def window_seconds(reader: EnergyReader, requested: float | None) -> float:
    """Length of each energy window: ``requested`` (2 s if unset), never shorter than the meter needs."""
    return max(float(requested or 2.0), reader.min_window_s)


def _integrate(samples: list[tuple[float, float]]) -> float:
    """Trapezoid integral of (t_s, µW) samples → µJ."""
    total = 0.0
    for (t0, p0), (t1, p1) in zip(samples, samples[1:]):
        total += (p0 + p1) / 2.0 * (t1 - t0)
    return total


def measure_window(reader: EnergyReader, work: Callable[[], int], min_secs: float) -> dict:
    """Run ``work`` (returns how many inferences it did) under the meter; returns µJ and seconds.

    ``work`` must itself keep running for at least ``min_secs``; we only bracket it.
    """
    if reader.kind == "counter":
        t0 = time.perf_counter()
        before = reader.read()
        n = work()
        after = reader.read()
        t1 = time.perf_counter()
        return {"energy_uj": reader.delta_uj(before, after), "seconds": t1 - t0, "count": n}
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sampler() -> None:
        while True:
            samples.append((time.perf_counter(), float(reader.read())))
            if stop.wait(reader.sample_period_s):
                break
        samples.append((time.perf_counter(), float(reader.read())))

    th = threading.Thread(target=sampler, daemon=True)
    t0 = time.perf_counter()
    th.start()
    n = work()
    stop.set()
    th.join(timeout=10)
    t1 = time.perf_counter()
    return {"energy_uj": _integrate(samples), "seconds": t1 - t0, "count": n, "samples": len(samples)}


def energy_per_inference(reader: EnergyReader, run_batch: Callable[[], int], window_s: float) -> dict:
    """Idle window, then an inference window of the same length on the same meter.

    Whole-device energy per inference is busy energy / N; the marginal figure subtracts the
    idle power measured just before over the busy window's duration.
    """
    idle = measure_window(reader, lambda: (time.sleep(window_s), 0)[1], window_s)

    def work() -> int:
        n, start = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - start < window_s:
            n += run_batch()
        return n

    busy = measure_window(reader, work, window_s)
    idle_uw = idle["energy_uj"] / idle["seconds"] if idle["seconds"] > 0 else 0.0
    n = busy["count"]
    return {"available": True, "meter": reader.describe(), "window_s": window_s, "inferences": n,
            "idle_power_mw": idle_uw / 1e3, "busy_power_mw": busy["energy_uj"] / busy["seconds"] / 1e3,
            "energy_per_inference_uj": busy["energy_uj"] / n,
            "marginal_energy_per_inference_uj": (busy["energy_uj"] - idle_uw * busy["seconds"]) / n,
            "idle": idle, "busy": busy}
