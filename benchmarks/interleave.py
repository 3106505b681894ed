"""Interleaved timing for the benchmarks: shuffled rounds over every configuration, so a change in the
machine's load falls on all of them alike; medians and percentiles in milliseconds; the CPU it ran on."""
from __future__ import annotations

import platform
import random
import statistics
import time
from typing import Callable, Hashable, Mapping, Sequence, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def interleaved(runs: Mapping[K, Callable[[], object]], rounds: int, seed: int, *, min_time: float | None = None,
                per_round: int | None = None, clock: Callable[[], float] = time.perf_counter) -> dict[K, list[float]]:
    """Seconds per call of each ``runs[k]()``: each round visits the configurations in a new shuffled order and
    times ``per_round`` calls of each, or calls for ``min_time`` seconds (at least one). ``clock`` measures each
    call (time.thread_time: the calling thread's CPU time, which preemption on a loaded machine does not inflate;
    only meaningful where everything runs on the calling thread, i.e. at 1 thread)."""
    if (min_time is None) == (per_round is None):
        raise ValueError("give exactly one of min_time and per_round")
    samples: dict[K, list[float]] = {k: [] for k in runs}
    rng = random.Random(seed)
    for _ in range(rounds):
        order = list(runs)
        rng.shuffle(order)
        for k in order:
            run, got = runs[k], samples[k]
            if per_round is not None:
                for _ in range(per_round):
                    t0 = clock()
                    run()
                    got.append(clock() - t0)
                continue
            t_end = time.perf_counter() + min_time
            while True:
                t0 = clock()
                run()
                got.append(clock() - t0)
                if time.perf_counter() >= t_end:
                    break
    return samples


def stats_ms(seconds: Sequence[float]) -> dict:
    """Median, 10th and 90th percentile (ms) and the number of timed calls."""
    return {"median_ms": 1e3 * statistics.median(seconds), "p10_ms": 1e3 * float(np.percentile(seconds, 10)),
            "p90_ms": 1e3 * float(np.percentile(seconds, 90)), "runs": len(seconds)}


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), for the results' header."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
