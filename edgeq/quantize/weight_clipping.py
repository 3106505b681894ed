"""MSE-optimal clipping of conv/FC weights in a float .tflite, before quantization.

TFLite's weight quantizer takes each output channel's max |w| as its range. Clipping
a channel's weights to the threshold that minimizes its int8 error
(:func:`weight_clip_mse`) makes the quantizer pick that better scale with no change
to the converter. It changes the float model (the
clipped values), so compare accuracy against the original float model.
"""
from __future__ import annotations

import numpy as np

from ..tflite_schema import op_name, read_model, write_model
from .constants import float_constant, store_float


def weight_clip_mse(w: np.ndarray, axis: int = 0, bits: int = 8, grid: int = 100) -> np.ndarray:
    """Per-channel clip threshold ``t`` minimizing the symmetric int``bits`` error of ``w``.

    Channels lie along ``axis`` (TFLite: 0 for CONV_2D/FULLY_CONNECTED, 3 for
    DEPTHWISE_CONV_2D). The error is computed exactly by quantizing each channel
    with ``scale = t / (2**(bits-1) - 1)`` for ``grid`` thresholds from 20 % to 100 %
    of its max magnitude. Returns one threshold per channel.
    """
    w = np.asarray(w, dtype=np.float64)
    ch = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    qmax = 2 ** (bits - 1) - 1
    amax = np.abs(ch).max(axis=1)
    ratios = np.linspace(0.2, 1.0, grid)
    best_err = np.full(ch.shape[0], np.inf)
    best_t = amax.copy()
    for r in ratios:
        t = amax * r
        scale = np.where(t > 0, t / qmax, 1.0)[:, None]
        q = np.clip(np.round(ch / scale), -qmax, qmax) * scale
        err = np.sum((ch - q) ** 2, axis=1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best_t = np.where(better, t, best_t)
    return best_t


def clip_weights(w: np.ndarray, thresholds: np.ndarray, axis: int = 0) -> np.ndarray:
    """``w`` with each channel along ``axis`` clipped to ``±thresholds[channel]``."""
    shape = [1] * np.ndim(w)
    shape[axis] = -1
    t = np.asarray(thresholds).reshape(shape)
    return np.clip(w, -t, t).astype(np.asarray(w).dtype)


_WEIGHT_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}  # output channels


def clip_model_weights(float_model: bytes, bits: int = 8) -> tuple[bytes, int]:
    """``float_model`` with every conv/FC weight tensor clipped per channel; returns (model, tensors changed)."""
    m = read_model(float_model, "float model")
    sg = m.subgraphs[0]
    users: dict[int, int] = {}
    for op in sg.operators or []:
        for i in op.inputs:
            if i >= 0:
                users[int(i)] = users.get(int(i), 0) + 1
    changed = 0
    for op in sg.operators or []:
        axis = _WEIGHT_AXIS.get(op_name(m, op))
        if axis is None or len(op.inputs) < 2:
            continue
        wi = int(op.inputs[1])
        w = float_constant(m, sg, wi)
        if w is None or users.get(wi, 0) != 1:
            continue  # computed, non-float or shared weights: leave them
        clipped = clip_weights(w, weight_clip_mse(w, axis=axis, bits=bits), axis=axis)
        if not np.array_equal(clipped, w):
            store_float(m, sg, wi, clipped)
            changed += 1
    return write_model(m), changed
