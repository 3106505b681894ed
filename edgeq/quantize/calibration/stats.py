"""Per-tensor activation statistics that fit in constant memory.

A :class:`TensorStats` keeps the exact running min/max and a histogram over a
symmetric range ``[-bound, bound]`` (4096 bins, i.e. 2048 per sign, the size
TensorRT and ONNX Runtime use for magnitudes). When new values fall outside, the
range doubles and adjacent bin pairs merge, so counts stay exact and nothing
but the histogram is ever stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NUM_BINS = 4096  # divisible by 4: doubling the range maps bin pairs onto the centre half
_TINY = 1e-12


@dataclass
class TensorStats:
    """Running statistics of one tensor over all calibration samples."""

    num_bins: int = NUM_BINS
    min: float = float("inf")
    max: float = float("-inf")
    count: int = 0
    zeros: int = 0  # exact zeros: they quantize without error (0 is always representable)
    bound: float = 0.0
    hist: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.num_bins % 4:
            raise ValueError("num_bins must be a multiple of 4")
        if self.hist is None:
            self.hist = np.zeros(self.num_bins, dtype=np.int64)

    @property
    def bin_width(self) -> float:
        return 2.0 * self.bound / self.num_bins

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(-self.bound, self.bound, self.num_bins + 1)

    @property
    def centers(self) -> np.ndarray:
        e = self.edges
        return 0.5 * (e[:-1] + e[1:])

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        x = x[np.isfinite(x)]
        if x.size == 0:
            return
        lo, hi = float(x.min()), float(x.max())
        self.min, self.max = min(self.min, lo), max(self.max, hi)
        self.count += x.size
        self.zeros += int(np.count_nonzero(x == 0))
        peak = max(abs(lo), abs(hi))
        if self.bound == 0.0:
            self.bound = max(peak, _TINY)
        while peak > self.bound:
            self._double()
        w = self.bin_width
        idx = np.floor((x + self.bound) / w).astype(np.int64)
        np.clip(idx, 0, self.num_bins - 1, out=idx)
        self.hist += np.bincount(idx, minlength=self.num_bins)

    def _double(self) -> None:
        n = self.num_bins
        merged = self.hist.reshape(-1, 2).sum(axis=1)
        self.hist = np.zeros(n, dtype=np.int64)
        self.hist[n // 4: 3 * n // 4] = merged
        self.bound *= 2.0

    def abs_hist(self) -> np.ndarray:
        """Histogram of |x| over ``[0, bound]`` with ``num_bins // 2`` bins (folded around 0)."""
        h = self.num_bins // 2
        return self.hist[h:] + self.hist[:h][::-1]

    @classmethod
    def of(cls, x: np.ndarray, num_bins: int = NUM_BINS) -> "TensorStats":
        """Statistics of one array (handy for tests and weights)."""
        s = cls(num_bins=num_bins)
        s.update(x)
        return s
