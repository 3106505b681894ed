"""Finding weight ops in a TFLite ``ModelT`` and editing their tensors safely.

Shared by the int4 transform, rounding and mixed-precision modules so each sees
the same notion of "a layer": one weight op of subgraph 0.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import tflite_schema as ts

#: ops whose constant weight tensor can become INT4, with the weight's output-channel axis
WEIGHT_OPS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}


@dataclass
class WeightOp:
    """One op of subgraph 0 with a constant weight tensor."""

    index: int  # operator index in subgraph 0
    kind: str  # builtin op name
    input: int  # tensor indices; bias -1 when absent
    weight: int
    bias: int
    output: int
    axis: int  # output-channel axis of the weight


def weight_ops(model: Any) -> list[WeightOp]:
    """Every FC / CONV_2D / DEPTHWISE_CONV_2D of subgraph 0 whose weight is a constant buffer."""
    sg = model.subgraphs[0]
    found = []
    for i, op in enumerate(sg.operators):
        kind = ts.op_name(model, op)
        if kind not in WEIGHT_OPS:
            continue
        ins = [int(t) for t in op.inputs]
        if len(ins) < 2 or ins[1] < 0 or ts.buffer_bytes(model, sg.tensors[ins[1]]) == 0:
            continue
        bias = ins[2] if len(ins) > 2 else -1
        found.append(WeightOp(i, kind, ins[0], ins[1], bias, int(op.outputs[0]), WEIGHT_OPS[kind]))
    return found


def type_name(tensor: Any) -> str:
    return ts.tensor_type_names()[tensor.type]


def quant(tensor: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """(scales, zero points, quantized dimension) of a tensor; empty arrays if unquantized."""
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
    zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else np.zeros(len(q.scale)), np.int64)
    return np.asarray(q.scale, np.float32), zp, int(q.quantizedDimension or 0)


def shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in tensor.shape)


def buffer_array(model: Any, tensor: Any, dtype: Any) -> np.ndarray:
    """A constant tensor's data, reshaped, as ``dtype`` (not for packed INT4)."""
    data = model.buffers[tensor.buffer].data
    return np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtype=dtype).reshape(shape(tensor)).copy()


def tensor_users(model: Any) -> dict[int, list[int]]:
    """Tensor index → indices of the ops of subgraph 0 reading it."""
    users: dict[int, list[int]] = {}
    for i, op in enumerate(model.subgraphs[0].operators):
        for t in op.inputs:
            if int(t) >= 0:
                users.setdefault(int(t), []).append(i)
    return users


def private_tensor(model: Any, op_index: int, tensor_index: int) -> int:
    """Make ``tensor_index`` (read by op ``op_index``) private to that op with its own buffer; return its index.

    Converters deduplicate equal constants (e.g. zero biases), so editing one
    in place could silently change another layer.
    """
    s = ts.schema()
    sg = model.subgraphs[0]
    users = tensor_users(model).get(tensor_index, [])
    t = sg.tensors[tensor_index]
    buf_users = sum(1 for sub in model.subgraphs for x in sub.tensors if x.buffer == t.buffer)
    if len(users) <= 1 and buf_users <= 1:
        return tensor_index
    new = copy.deepcopy(t)
    new.buffer = len(model.buffers)
    b = s.BufferT()
    b.data = np.array(model.buffers[t.buffer].data, dtype=np.uint8, copy=True)
    model.buffers.append(b)
    sg.tensors.append(new)
    idx = len(sg.tensors) - 1
    op = sg.operators[op_index]
    op.inputs = [idx if int(x) == tensor_index else int(x) for x in op.inputs]
    return idx


def set_quant(tensor: Any, scales: np.ndarray, axis: int) -> None:
    s = ts.schema()
    q = s.QuantizationParametersT()
    q.scale = [float(v) for v in np.asarray(scales, np.float32)]
    q.zeroPoint = [0] * len(q.scale)
    q.quantizedDimension = int(axis)
    tensor.quantization = q


def set_buffer(model: Any, tensor: Any, data: bytes) -> None:
    model.buffers[tensor.buffer].data = np.frombuffer(data, dtype=np.uint8).copy()


def fused_activation(model: Any, op: Any) -> str:
    opts = op.builtinOptions
    act = getattr(opts, "fusedActivationFunction", 0) if opts is not None else 0
    names = {v: k for k, v in vars(ts.schema().ActivationFunctionType).items() if not k.startswith("_")}
    return names.get(int(act or 0), str(act))
