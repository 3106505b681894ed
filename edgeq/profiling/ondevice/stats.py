"""Summary statistics of latency samples.

Standard library only: it runs on the device (and on the host for serial boards), and numpy's
percentile defaults are not what we want to depend on.
"""
from __future__ import annotations

import math
from typing import Sequence

PERCENTILES = (5, 50, 90, 95, 99)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Percentile ``q`` (0..100) of already sorted values, linear interpolation between ranks."""
    if not sorted_values:
        raise ValueError("percentile of no samples")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def summarize(samples: Sequence[float]) -> dict:
    """count, mean, std (sample), min, max, median and p5/p50/p90/p95/p99 of ``samples``.

    An empty sequence gives ``{"count": 0}`` so a partial run still serializes.
    """
    n = len(samples)
    if n == 0:
        return {"count": 0}
    s = sorted(float(x) for x in samples)
    mean = math.fsum(s) / n
    var = math.fsum((x - mean) ** 2 for x in s) / (n - 1) if n > 1 else 0.0
    out = {"count": n, "mean": mean, "std": math.sqrt(var), "min": s[0], "max": s[-1],
           "median": percentile(s, 50)}
    for q in PERCENTILES:
        out[f"p{q}"] = percentile(s, q)
    return out
