"""MSE-optimal clipping of conv/FC weights in a float .tflite, before quantization.

TFLite's weight quantizer takes each output channel's max |w| as its range. Clipping
a channel's weights to the threshold that minimizes its int8 error
(:func:`~edgeq.calibration.methods.weight_clip_mse`) makes the quantizer pick that
better scale with no change to the converter. It changes the float model (the
clipped values), so compare accuracy against the original float model.
"""
from __future__ import annotations

import numpy as np

from ..tflite_schema import op_name, read_model, write_model
from .buffers import float_constant, store_float
from .methods import clip_weights, weight_clip_mse

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
