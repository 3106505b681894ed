"""Empirical bias correction of an int8 model (Nagel et al. 2019; AIMET's "empirical" flavour).

Rounding weights shifts each output channel by ``E[x] · Σ δw``: a systematic error
that averages over nothing. For every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED
with an int32 bias, in execution order, this measures the per-channel mean of
(int8 output − float output) on calibration data and subtracts it from the bias,
in the bias's own quantization step. Layers are corrected one after another on
the already-corrected model, so each sees the inputs it will see in deployment.

With a fused ReLU/ReLU6 only the pre-activation error is correctable, so the mean
is taken where both outputs are in the activation's linear region (and not at
the int8 limits), where output error equals pre-activation error.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..runtime import Interpreter
from ..tflite_schema import op_name, read_model, tensor_name, write_model
from .calibration.observers import SampleSource, iterate_samples

_TARGETS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
# fused activation → its linear region (ActivationFunctionType codes)
_LINEAR = {0: (-np.inf, np.inf), 1: (0.0, np.inf), 2: (-1.0, 1.0), 3: (0.0, 6.0)}
_INT8, _INT32 = 9, 2


def _targets(qm: Any, float_names: dict[str, int]) -> list[tuple[int, int, int, int, tuple[float, float]]]:
    """(op index, output tensor, bias tensor, float tensor, linear region) for correctable ops."""
    sg = qm.subgraphs[0]
    out = []
    for k, op in enumerate(sg.operators or []):
        if op_name(qm, op) not in _TARGETS or len(op.inputs) < 3 or op.inputs[2] < 0:
            continue
        o, b = int(op.outputs[0]), int(op.inputs[2])
        ot, bt = sg.tensors[o], sg.tensors[b]
        act = getattr(op.builtinOptions, "fusedActivationFunction", 0) if op.builtinOptions is not None else 0
        f = float_names.get(tensor_name(ot))
        buf = qm.buffers[bt.buffer]
        if (ot.type != _INT8 or bt.type != _INT32 or f is None or act not in _LINEAR
                or buf.data is None or len(buf.data) == 0 or bt.quantization is None):
            continue
        out.append((k, o, b, f, _LINEAR[act]))
    return out


def _new_buffer() -> Any:
    from ..tflite_schema import schema

    return schema().BufferT()


def correct_bias(float_model: bytes, quant_model: bytes, samples: SampleSource, *,
                 min_count: int = 16) -> tuple[bytes, int]:
    """``quant_model`` with conv/FC biases corrected; returns (model, number of layers corrected).

    ``float_model`` is the float model ``quant_model`` was quantized from (tensor
    names must match). Channels with fewer than ``min_count`` linear-region values
    are left alone: their mean would be noise. The float model runs once per sample
    (its outputs do not depend on the corrections); the integer model once per sample
    and layer, rebuilt only after a layer's bias changed.
    """
    data = list(iterate_samples(samples))
    fm = read_model(float_model, "float model")
    qm = read_model(quant_model, "quantized model")
    float_names = {tensor_name(t): i for i, t in enumerate(fm.subgraphs[0].tensors)}
    targets = _targets(qm, float_names)
    fi = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    refs: list[list[np.ndarray]] = [[] for _ in targets]
    for s in data:
        fi.run_float(s)
        for k, (_, _, _, f, _) in enumerate(targets):
            refs[k].append(fi.tensor(f).copy())
    sg = qm.subgraphs[0]
    users = Counter(t.buffer for g in qm.subgraphs for t in g.tensors or [])
    corrected = 0
    qi = None
    for k, (_, o, b, _, (lo, hi)) in enumerate(targets):
        if qi is None:
            qi = Interpreter(write_model(qm), resolver="builtin", preserve_all_tensors=True)
        ot, bt = sg.tensors[o], sg.tensors[b]
        scale, zp = float(ot.quantization.scale[0]), int(ot.quantization.zeroPoint[0])
        channels = int(ot.shape[-1])
        sums, counts = np.zeros(channels), np.zeros(channels)
        for s, ref in zip(data, refs[k]):
            qi.run_float(s)
            ref = ref.astype(np.float64).reshape(-1, channels)
            raw = qi.tensor(o).reshape(-1, channels)
            got = (raw.astype(np.float64) - zp) * scale
            linear = ((raw > -128) & (raw < 127) & (got > lo) & (got < hi) & (ref > lo) & (ref < hi))
            sums += np.where(linear, got - ref, 0.0).sum(axis=0)
            counts += linear.sum(axis=0)
        refs[k] = []
        mean_err = np.where(counts >= min_count, sums / np.maximum(counts, 1), 0.0)
        bias_scale = np.asarray(bt.quantization.scale, dtype=np.float64).reshape(-1)
        bias_scale = np.broadcast_to(bias_scale, (channels,))
        buf = qm.buffers[bt.buffer]
        bias = np.frombuffer(np.asarray(buf.data, dtype=np.uint8).tobytes(), dtype=np.int32).astype(np.int64)
        step = np.round(mean_err / bias_scale)
        if not np.any(step):
            continue
        if users[bt.buffer] > 1:  # one buffer for several biases (the quantizer shares equal constants)
            users[bt.buffer] -= 1
            bt.buffer = len(qm.buffers)
            buf = _new_buffer()
            qm.buffers.append(buf)
        new = np.clip(bias - step.astype(np.int64), np.iinfo(np.int32).min, np.iinfo(np.int32).max)
        buf.data = np.frombuffer(new.astype(np.int32).tobytes(), dtype=np.uint8)
        corrected += 1
        qi = None  # the next layer sees this one's new bias
    return write_model(qm), corrected
