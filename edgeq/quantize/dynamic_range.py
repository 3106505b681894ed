"""Dynamic-range quantization (``--activations float``): int8 or int4 weights, float activations.

TFLite's "hybrid" kernels take a float input, quantize it on the fly and multiply by
constant integer weights; everything else stays float. The model is therefore *not*
fully integer, and the conversion report says so. edgeq writes it from the float
.tflite itself (TFLiteConverter only does this while converting from TensorFlow):

* FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D constant weights become symmetric
  per-channel int8 (scale = max|w| / 127 per output channel, zero point 0), the layout
  TFLiteConverter's dynamic-range mode writes, FULLY_CONNECTED with asymmetric input
  quantization as it sets;
* weights smaller than :data:`MIN_ELEMENTS` stay float, as in TFLite (they save nothing);
* ``weights="int4"``: FULLY_CONNECTED weights become packed int4 (scale = max|w| / 7),
  which LiteRT's hybrid FULLY_CONNECTED runs (its reference kernel exactly as the same
  values stored as int8; the optimized one quantizes the input its own way); convolutions
  keep int8, the hybrid support there is. Biases stay float.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import tflite_schema as ts
from ..int4.graph import WEIGHT_OPS, buffer_array, set_quant, shape, type_name, weight_ops
from ..int4.packing import pack_int4

#: weights with fewer elements stay float (TFLite's dynamic-range threshold)
MIN_ELEMENTS = 1024
#: ops whose int4 weights LiteRT's hybrid kernels take
INT4_HYBRID_OPS = ("FULLY_CONNECTED",)


@dataclass
class DynamicRangeReport:
    """Which weights became integer, and which stayed float and why."""

    quantized: dict[str, int] = field(default_factory=dict)  # weight tensor name -> bits
    kept_float: dict[str, str] = field(default_factory=dict)  # weight tensor name -> why

    def as_dict(self) -> dict:
        return {"quantized_weights": len(self.quantized),
                "int4_weights": sum(1 for b in self.quantized.values() if b == 4),
                "kept_float": dict(self.kept_float)}


def quantize_weights(float_model: bytes, weights: str = "int8") -> tuple[bytes, DynamicRangeReport]:
    """``float_model`` with integer weights for its GEMMs and float activations."""
    m = ts.read_model(float_model)
    sg = m.subgraphs[0]
    rep = DynamicRangeReport()
    done: set[int] = set()
    for w in weight_ops(m):
        t = sg.tensors[w.weight]
        name = ts.tensor_name(t)
        if w.weight in done:
            continue
        if type_name(t) != "float32" or type_name(sg.tensors[w.input]) != "float32":
            rep.kept_float[name] = "not a float weight of a float op"
            continue
        values = buffer_array(m, t, np.float32).reshape(shape(t))
        if values.size < MIN_ELEMENTS:
            rep.kept_float[name] = f"{values.size} elements (< {MIN_ELEMENTS}: integer weights save nothing here)"
            continue
        bits = 4 if weights == "int4" and w.kind in INT4_HYBRID_OPS else 8
        q, scales = symmetric(values, WEIGHT_OPS[w.kind], bits)
        _store(m, t, q, scales, w.axis, bits)
        if w.kind == "FULLY_CONNECTED":
            sg.operators[w.index].builtinOptions.asymmetricQuantizeInputs = True
        done.add(w.weight)
        rep.quantized[name] = bits
    return ts.write_model(m), rep


def symmetric(w: np.ndarray, axis: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel symmetric quantization along ``axis``: (integers, scales); an all-zero channel gets scale 1."""
    qmax = (1 << (bits - 1)) - 1
    reduce = tuple(a for a in range(w.ndim) if a != axis)
    # in double precision, as TFLite's weight quantizer does (a float32 division lands on .5 ties it has not)
    peak = np.max(np.abs(w), axis=reduce).astype(np.float64)
    scales = np.where(peak > 0, peak / qmax, 1.0)
    view = [1] * w.ndim
    view[axis] = -1
    q = np.clip(np.round(w.astype(np.float64) / scales.reshape(view)), -qmax, qmax).astype(np.int8)
    return q, scales.astype(np.float32)


def _store(m: Any, t: Any, q: np.ndarray, scales: np.ndarray, axis: int, bits: int) -> None:
    """Give ``t`` its own buffer with the integer weights (packed for int4) and their scales."""
    s = ts.schema()
    buf = s.BufferT()
    data = pack_int4(q) if bits == 4 else q.tobytes()
    buf.data = np.frombuffer(data, np.uint8).copy()
    m.buffers.append(buf)
    t.buffer = len(m.buffers) - 1
    t.type = s.TensorType.INT4 if bits == 4 else s.TensorType.INT8
    set_quant(t, scales, axis)
