"""Symmetric per-channel int4 scales and round-to-nearest quantization.

Scales use ±7 (max|w| / 7) so the grid is symmetric around zero like TFLite's
int8 weights (±127); -8 stays representable and error-compensating rounders
(GPTQ) may use it.
"""
from __future__ import annotations

import numpy as np

QMIN, QMAX = -8, 7
QSYM = 7


def _reduce_axes(ndim: int, axis: int) -> tuple[int, ...]:
    return tuple(a for a in range(ndim) if a != axis)


def int4_scales(w: np.ndarray, axis: int, fallback: np.ndarray | None = None) -> np.ndarray:
    """Per-channel scale max|w|/7 along ``axis``; all-zero channels take ``fallback`` (or 1.0)."""
    amax = np.abs(w.astype(np.float64)).max(axis=_reduce_axes(w.ndim, axis))
    scales = amax / QSYM
    zero = scales <= 0
    if zero.any():
        fb = np.ones_like(scales) if fallback is None else np.asarray(fallback, np.float64).reshape(-1)
        scales = np.where(zero, np.where(fb > 0, fb, 1.0), scales)
    return scales.astype(np.float32)


def channel_view(scales: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    """Reshape per-channel values to broadcast against a weight of ``ndim`` dims."""
    shp = [1] * ndim
    shp[axis] = -1
    return np.asarray(scales).reshape(shp)


def quantize_nearest(w: np.ndarray, scales: np.ndarray, axis: int) -> np.ndarray:
    """Round-to-nearest int4 values (int8 storage), clipped to [-8, 7]."""
    s = channel_view(scales.astype(np.float64), w.ndim, axis)
    return np.clip(np.round(w.astype(np.float64) / s), QMIN, QMAX).astype(np.int8)


def dequantize(q: np.ndarray, scales: np.ndarray, axis: int) -> np.ndarray:
    return (q.astype(np.float64) * channel_view(scales.astype(np.float64), q.ndim, axis)).astype(np.float32)
