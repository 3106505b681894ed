"""Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019) on a float .tflite.

For a pair ``conv1 -> (ReLU) -> conv2`` where conv2 alone reads conv1's output,
scaling conv1's output channel c by ``1/s_c`` and conv2's input channel c by ``s_c``
leaves the float function unchanged (ReLU is positively homogeneous). Choosing
``s_c = sqrt(r1_c / r2_c)`` from the channels' weight ranges gives both the same
range ``sqrt(r1_c * r2_c)``, so no channel dominates a per-tensor weight scale or
the activation range between them. Working on the flatbuffer covers Keras models
(after their float export) and given .tflite files alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tflite_schema import op_name, read_model, write_model
from .constants import float_constant, store_float

_FIRST = {"CONV_2D", "DEPTHWISE_CONV_2D"}
_SECOND = {"CONV_2D"}
_HOMOGENEOUS = {0, 1}  # ActivationFunctionType NONE, RELU; RELU6/N1_TO_1 clip at fixed values


@dataclass
class _Pair:
    first: Any
    second: Any
    first_kind: str


def _pairs(m: Any, sg: Any) -> list[_Pair]:
    consumers: dict[int, list[Any]] = {}
    for op in sg.operators or []:
        for i in op.inputs:
            if i >= 0:
                consumers.setdefault(int(i), []).append(op)
    buffer_users: dict[int, int] = {}
    for t in sg.tensors:
        buffer_users[t.buffer] = buffer_users.get(t.buffer, 0) + 1
    outputs = set(int(i) for i in sg.outputs)
    pairs = []
    for op in sg.operators or []:
        kind = op_name(m, op)
        if kind not in _FIRST or op.builtinOptions is None:
            continue
        if getattr(op.builtinOptions, "fusedActivationFunction", None) not in _HOMOGENEOUS:
            continue
        out = int(op.outputs[0])
        users = consumers.get(out, [])
        if out in outputs or len(users) != 1:
            continue
        nxt = users[0]
        if op_name(m, nxt) not in _SECOND or int(nxt.inputs[0]) != out:
            continue
        weights = [int(op.inputs[1]), int(nxt.inputs[1])] + ([int(op.inputs[2])] if len(op.inputs) > 2 else [])
        if any(w < 0 or float_constant(m, sg, w) is None or buffer_users[sg.tensors[w].buffer] != 1
               for w in weights):
            continue  # weights computed at run time, not float32, or shared: leave the pair alone
        pairs.append(_Pair(op, nxt, kind))
    return pairs


def equalize_cross_layer(float_model: bytes, iterations: int = 20, tol: float = 1e-3) -> tuple[bytes, int]:
    """``float_model`` with every eligible conv pair equalized; returns (model, number of pairs).

    Chains (conv1 -> conv2 -> conv3) are balanced by sweeping all pairs until the
    scales change by less than ``tol`` (or ``iterations`` sweeps).
    """
    m = read_model(float_model, "float model")
    sg = m.subgraphs[0]
    pairs = _pairs(m, sg)
    for _ in range(iterations):
        worst = 0.0
        for p in pairs:
            w1_i, w2_i = int(p.first.inputs[1]), int(p.second.inputs[1])
            b1_i = int(p.first.inputs[2]) if len(p.first.inputs) > 2 else -1
            w1, w2 = float_constant(m, sg, w1_i), float_constant(m, sg, w2_i)
            b1 = float_constant(m, sg, b1_i)
            axis1 = 3 if p.first_kind == "DEPTHWISE_CONV_2D" else 0  # output channels of conv1
            r1 = np.abs(np.moveaxis(w1, axis1, 0)).reshape(w1.shape[axis1], -1).max(axis=1)
            r2 = np.abs(np.moveaxis(w2, 3, 0)).reshape(w2.shape[3], -1).max(axis=1)  # conv2 input channels
            if r1.shape != r2.shape:
                continue  # grouped convolution: channels do not correspond one to one
            s = np.where((r1 > 0) & (r2 > 0), np.sqrt(r1 / np.where(r2 > 0, r2, 1.0)), 1.0)
            shape1 = [1] * w1.ndim
            shape1[axis1] = -1
            store_float(m, sg, w1_i, w1 / s.reshape(shape1))
            if b1 is not None:
                store_float(m, sg, b1_i, b1 / s)
            store_float(m, sg, w2_i, w2 * s.reshape(1, 1, 1, -1))
            worst = max(worst, float(np.max(np.abs(np.log(s)))))
        if worst < tol:
            break
    return write_model(m), len(pairs)
