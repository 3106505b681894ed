"""Range-setting methods on distributions whose answers are known or brute-forced."""
from __future__ import annotations

import numpy as np
import pytest

from edgeq.quantize import weight_clipping
from edgeq.quantize.calibration import methods as M
from edgeq.quantize.calibration.stats import TensorStats


def _int8_mse(x: np.ndarray, lo: float, hi: float) -> float:
    """Exact mean squared error of TFLite-style asymmetric int8 quantization of x with range [lo, hi]."""
    scale = (hi - lo) / 255.0
    zp = np.round(-128 - lo / scale)
    q = np.clip(np.round(x / scale) + zp, -128, 127)
    return float(np.mean((x - (q - zp) * scale) ** 2))


def test_histogram_widening_keeps_counts_and_extremes():
    rng = np.random.default_rng(1)
    s = TensorStats()
    parts = [rng.normal(0, 0.01, 1000), rng.normal(0, 1, 1000), rng.normal(0, 50, 1000)]
    for p in parts:
        s.update(p)
    allx = np.concatenate(parts)
    assert s.count == allx.size == int(s.hist.sum())
    assert s.min == allx.min() and s.max == allx.max()
    assert s.bound >= np.abs(allx).max()
    # every value still lies in the bin it was counted in after three widenings
    idx = np.clip(np.floor((allx + s.bound) / s.bin_width).astype(int), 0, s.num_bins - 1)
    assert np.array_equal(np.bincount(idx, minlength=s.num_bins), s.hist)


@pytest.mark.parametrize("p", [99.0, 99.9, 99.99])
def test_percentile_matches_numpy(p):
    rng = np.random.default_rng(2)
    x = rng.standard_t(3, 300_000)
    s = TensorStats.of(x)
    lo, hi = M.percentile(s, p)
    np_lo, np_hi = np.percentile(x, [100 - p, p])
    assert abs(hi - np_hi) <= 3 * s.bin_width
    assert abs(lo - np_lo) <= 3 * s.bin_width
    tail = (100 - p) / 100  # and the cut leaves the right share of samples outside
    assert abs(np.mean(x > hi) - tail) <= 0.2 * tail + 2 / x.size
    assert abs(np.mean(x < lo) - tail) <= 0.2 * tail + 2 / x.size
    assert lo < 0 < hi and hi < x.max() and lo > x.min()


def test_percentile_one_sided_keeps_zero_end():
    rng = np.random.default_rng(3)
    x = np.maximum(rng.normal(size=100_000), 0)
    lo, hi = M.percentile(TensorStats.of(x), 99.9)
    assert lo == 0.0
    assert abs(hi - np.percentile(x, 99.9)) <= 3 * TensorStats.of(x).bin_width
    assert abs(np.mean(x > hi) - 0.001) <= 0.0002


def test_mse_uniform_does_not_clip():
    x = np.random.default_rng(4).uniform(-1, 1, 200_000)
    lo, hi = M.mse(TensorStats.of(x))
    assert hi > 0.99 * x.max() and lo < 0.99 * x.min()


def test_mse_laplace_matches_brute_force():
    x = np.random.default_rng(5).laplace(0, 1, 200_000)
    lo, hi = M.mse(TensorStats.of(x))
    # brute force over symmetric clips with exact int8 quantization of the sample
    ts = np.linspace(2, np.abs(x).max(), 200)
    errs = [_int8_mse(x, -t, t) for t in ts]
    best_t, best_err = ts[int(np.argmin(errs))], min(errs)
    assert best_t < 0.95 * np.abs(x).max()  # the optimum really clips the tail
    assert 8.0 < hi < 11.5 and -11.5 < lo < -8.0  # near the ~9.9*b analytic optimum for 8 bits
    assert _int8_mse(x, lo, hi) <= 1.03 * best_err
    assert _int8_mse(x, lo, hi) < 0.8 * _int8_mse(x, x.min(), x.max())


def test_mse_ignores_exact_zeros_of_relu():
    rng = np.random.default_rng(6)
    x = np.maximum(rng.laplace(0, 1, 200_000), 0)  # half the values are exact zeros
    lo, hi = M.mse(TensorStats.of(x))
    assert lo == 0.0
    ts = np.linspace(1, x.max(), 200)
    errs = [_int8_mse(x, 0.0, t) for t in ts]
    assert _int8_mse(x, lo, hi) <= 1.03 * min(errs)


def test_entropy_uniform_histogram_keeps_max():
    hist = np.full(2048, 100.0)
    assert M.kl_threshold(hist) == 2048
    x = np.random.default_rng(7).uniform(-3, 3, 300_000)
    lo, hi = M.entropy(TensorStats.of(x))
    assert hi > 0.97 * x.max() and lo < 0.97 * x.min()


def test_entropy_outlier_tail_threshold_below_max():
    # a dense body over the first 400 bins plus a thin tail up to bin 2048
    hist = np.zeros(2048)
    hist[:400] = 1000.0
    hist[400:2048:50] = 1.0
    t = M.kl_threshold(hist)
    assert 400 <= t <= 1024  # keeps the body, cuts at least half of the tail's span
    x = np.random.default_rng(8).laplace(0, 1, 300_000)
    lo, hi = M.entropy(TensorStats.of(x))
    assert hi < 0.9 * x.max() and -hi == pytest.approx(lo)


def test_ranges_always_contain_zero():
    x = np.random.default_rng(9).uniform(2, 3, 10_000)  # all positive, far from 0
    s = TensorStats.of(x)
    for name, fn in M.METHODS.items():
        lo, hi = fn(s)
        assert lo <= 0.0 < hi, name
        assert hi <= x.max() + 1e-12, name


def test_all_zero_tensor_gets_valid_range():
    s = TensorStats.of(np.zeros(100))
    for fn in M.METHODS.values():
        lo, hi = fn(s)
        assert lo <= 0 < hi


def test_weight_clip_mse_per_channel():
    rng = np.random.default_rng(10)
    w = rng.uniform(-0.1, 0.1, size=(8, 30_000))  # FULLY_CONNECTED layout: channels on axis 0
    w[2] = rng.laplace(0, 0.02, size=30_000)  # one peaked, long-tailed channel
    amax = np.abs(w).max(axis=1)

    def err(c, thr, bits):
        qmax = 2 ** (bits - 1) - 1
        sc = thr / qmax
        return np.sum((w[c] - np.clip(np.round(w[c] / sc), -qmax, qmax) * sc) ** 2)

    for bits in (8, 4):
        t = weight_clipping.weight_clip_mse(w, axis=0, bits=bits)
        assert t.shape == (8,)
        assert np.all(t <= amax + 1e-12)
        for c in range(8):  # never worse than no clipping
            assert err(c, t[c], bits) <= err(c, amax[c], bits) + 1e-15
        # brute force on the long-tailed channel: within 2 % of the best of 400 thresholds
        grid = np.linspace(0.05, 1, 400) * amax[2]
        assert err(2, t[2], bits) <= 1.02 * min(err(2, g, bits) for g in grid)
    t4 = weight_clipping.weight_clip_mse(w, axis=0, bits=4)
    assert t4[2] < 0.7 * amax[2]  # 4 bits: the Laplace tail is clipped hard (analytic optimum ~5b)
    assert err(2, t4[2], 4) < 0.7 * err(2, amax[2], 4)
    assert np.all(np.delete(t4 / amax, 2) > 0.9)  # uniform channels barely are
    clipped = weight_clipping.clip_weights(w, t4, axis=0)
    assert np.abs(clipped).max(axis=1) == pytest.approx(np.minimum(amax, t4))


def test_entropy_does_not_collapse_on_data_far_from_zero():
    # e.g. a LayerNorm RSQRT output: all values in a band well above 0. Plain KL search
    # finds KL=0 at a threshold below the band (everything piles into one shared bin).
    x = np.random.default_rng(11).normal(1.0, 0.15, 200_000).clip(0.45, 1.8)
    lo, hi = M.entropy(TensorStats.of(x))
    assert np.mean(x > hi) <= 0.01
    assert hi > np.percentile(x, 98)
