"""Range-setting methods: pure functions from :class:`TensorStats` to a (min, max) range.

Every method returns a range that contains 0, because TFLite's int8 scheme must
represent 0 exactly (padding, ReLU) and the quantizer would nudge it anyway.

* ``minmax``: the observed extremes (what TFLite's converter does).
* ``percentile``: cut each tail at a percentile of the histogram.
* ``mse``: the range whose expected int8 error (rounding inside + clipping outside)
  over the histogram is smallest; both ends searched jointly.
* ``entropy``: TensorRT's KL-divergence calibration on the magnitude histogram
  (reference vs. 128-bin quantized distribution), as ONNX Runtime re-implements it.

"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .stats import TensorStats

Range = tuple[float, float]


def _with_zero(lo: float, hi: float) -> Range:
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 0.0:  # an all-zero tensor still needs a non-empty range
        hi = lo + 1e-6
    return lo, hi


def _clamp(stats: TensorStats, lo: float, hi: float) -> Range:
    """Never widen past what was observed, then make 0 representable."""
    return _with_zero(max(lo, stats.min), min(hi, stats.max))


def _check(stats: TensorStats) -> None:
    if stats.count == 0:
        raise ValueError("no values were observed for this tensor")


def minmax(stats: TensorStats) -> Range:
    _check(stats)
    return _with_zero(stats.min, stats.max)


def quantile(stats: TensorStats, q: float) -> float:
    """The ``q``-quantile (0..1) of the histogram, interpolated linearly inside a bin."""
    _check(stats)
    cdf = np.cumsum(stats.hist)
    target = q * stats.count
    k = int(np.searchsorted(cdf, target, side="left"))
    k = min(k, stats.num_bins - 1)
    before = float(cdf[k - 1]) if k > 0 else 0.0
    frac = (target - before) / stats.hist[k] if stats.hist[k] else 0.0
    value = -stats.bound + (k + min(max(frac, 0.0), 1.0)) * stats.bin_width
    return float(min(max(value, stats.min), stats.max))


def percentile(stats: TensorStats, percentile: float = 99.99) -> Range:
    """Cut ``100 - percentile`` percent off each tail that exists.

    A one-signed tensor (e.g. after ReLU) only has its far tail cut; its other
    end is 0. Two-signed tensors get each tail cut at its own percentile.
    """
    _check(stats)
    if not 50.0 < percentile <= 100.0:
        raise ValueError(f"percentile must be in (50, 100], got {percentile}")
    p = percentile / 100.0
    lo = quantile(stats, 1.0 - p) if stats.min < 0 else stats.min
    hi = quantile(stats, p) if stats.max > 0 else stats.max
    return _clamp(stats, lo, hi)


def _candidates(first: int, last: int, limit: int = 256) -> np.ndarray:
    """Up to ``limit`` edge indices from ``first`` to ``last`` inclusive, both always present."""
    if last <= first:
        return np.array([first], dtype=np.int64)
    return np.unique(np.linspace(first, last, min(limit, last - first + 1)).round().astype(np.int64))


def mse(stats: TensorStats, bits: int = 8) -> Range:
    """The range [a, b] minimizing sum over values of the int``bits`` error.

    Inside the range a value costs the rounding noise ``step**2 / 12``
    (``step = (b - a) / (2**bits - 1)``), except exact zeros, which quantize
    exactly; outside it costs its squared distance to the clip. Prefix sums make
    every (a, b) pair O(1), so the search is exhaustive over a grid of bin edges.
    """
    _check(stats)
    n = stats.num_bins
    h = stats.hist.astype(np.float64)
    c = stats.centers
    e = stats.edges
    H = np.concatenate([[0.0], np.cumsum(h)])
    S1 = np.concatenate([[0.0], np.cumsum(h * c)])
    S2 = np.concatenate([[0.0], np.cumsum(h * c * c)])
    zero = n // 2  # edge index of 0: the range is symmetric with an even bin count
    w = stats.bin_width
    k_lo = int(np.floor((stats.min + stats.bound) / w)) if stats.min < 0 else zero
    m_hi = int(np.ceil((stats.max + stats.bound) / w)) if stats.max > 0 else zero
    ks = _candidates(max(0, min(k_lo, zero)), zero)[:, None]
    ms = _candidates(zero, min(n, max(m_hi, zero)))[None, :]
    a, b = e[ks], e[ms]
    clip_lo = a * a * H[ks] - 2 * a * S1[ks] + S2[ks]
    clip_hi = b * b * (H[-1] - H[ms]) - 2 * b * (S1[-1] - S1[ms]) + (S2[-1] - S2[ms])
    zeros_inside = np.where((ks <= zero) & (zero < ms), stats.zeros, 0)
    inside = np.maximum(H[ms] - H[ks] - zeros_inside, 0.0)
    step = (b - a) / (2 ** bits - 1)
    cost = clip_lo + clip_hi + inside * step * step / 12.0
    cost = np.where(b > a, cost, np.inf)
    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return _clamp(stats, float(a[i, 0]), float(b[0, j]))


def _smooth(p: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Move a little mass onto empty bins so KL(p||q) stays finite (as TensorRT/ORT do)."""
    is_zero = p == 0
    n_zero = int(is_zero.sum())
    n_nonzero = p.size - n_zero
    if n_nonzero == 0:
        return p
    take = eps * n_zero / n_nonzero
    return p + eps * is_zero - take * ~is_zero


def kl_threshold(abs_hist: np.ndarray, num_quant_bins: int = 128, max_candidates: int = 256,
                 max_clipped: float = 0.01) -> int:
    """Number of leading bins of a magnitude histogram that minimizes KL(reference || quantized).

    For each candidate threshold ``i``: the reference is ``hist[:i]`` with all
    mass beyond added to its last bin; the candidate is ``hist[:i]`` merged into
    ``num_quant_bins`` bins and spread back evenly over the bins that were non-empty.

    Candidates that clip more than ``max_clipped`` of the values are skipped: for a
    tensor far from 0 (e.g. an RSQRT output in [0.45, 1.8]) a threshold at the
    bottom of the data piles everything into one bin that both distributions share,
    KL is 0 there, and plain TensorRT-style search would clip almost every value.
    """
    hist = np.asarray(abs_hist, dtype=np.float64)
    n = hist.size
    if n <= num_quant_bins:
        return n
    tail = np.concatenate([np.cumsum(hist[::-1])[::-1], [0.0]])  # tail[i] = sum(hist[i:])
    stride = max(1, (n - num_quant_bins) // max_candidates)
    best_i, best_kl = n, np.inf
    total = tail[0]
    for i in list(range(num_quant_bins, n, stride)) + [n]:
        if tail[i] > max_clipped * total:
            continue
        sliced = hist[:i]
        p = sliced.copy()
        p[-1] += tail[i]
        nonzero = p != 0
        bounds = np.linspace(0, i, num_quant_bins + 1).round().astype(np.int64)
        sums = np.add.reduceat(sliced, bounds[:-1])
        counts = np.add.reduceat(nonzero.astype(np.float64), bounds[:-1])
        per_bin = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        q = np.repeat(per_bin, np.diff(bounds)) * nonzero
        if p.sum() == 0 or q.sum() == 0:
            continue
        ps, qs = _smooth(p / p.sum()), _smooth(q / q.sum())
        if np.any((ps > 0) & (qs <= 0)):  # smoothing could not cover p: infinitely bad
            continue
        mask = ps > 0
        kl = float(np.sum(ps[mask] * np.log(ps[mask] / qs[mask])))
        if kl < best_kl:
            best_kl, best_i = kl, i
    return best_i


def entropy(stats: TensorStats, num_quant_bins: int = 128) -> Range:
    """KL-divergence calibration: a symmetric magnitude threshold, clamped to what was observed."""
    _check(stats)
    ah = stats.abs_hist()
    w = stats.bound / ah.size
    peak = max(abs(stats.min), abs(stats.max))
    used = int(min(ah.size, max(1, np.ceil(peak / w))))
    if used <= num_quant_bins:  # too few occupied bins to learn anything: keep everything
        return minmax(stats)
    hist = ah[:used].copy()
    hist[-1] += ah[used:].sum()
    # exact zeros (ReLU outputs) quantize without error; left in, their spike in bin 0
    # dominates the KL and drags the threshold far below the real data's range
    hist[0] -= min(stats.zeros, hist[0])
    t = kl_threshold(hist, num_quant_bins) * w
    return _clamp(stats, -t, t)


#: method name → function(stats) -> (min, max)
METHODS: dict[str, Callable[..., Range]] = {
    "minmax": minmax,
    "percentile": percentile,
    "mse": mse,
    "entropy": entropy,
}
