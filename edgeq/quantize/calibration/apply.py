"""Write edgeq's activation ranges into a TFLite-calibrated model, and check the result.

``Calibrator.calibrate`` stores the observed min/max of each activation in the
tensor's ``quantization.min/max``; ``mlir_quantize`` turns those into scales.
Overriding them there is the least invasive hook: the MLIR quantizer still
applies every op constraint (shared scales for concat/pool/reshape, fixed output
scales for softmax/logistic/tanh), and :func:`constraint_violations` verifies that
it did on the quantized model.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ...errors import EdgeqError, ModelError
from ...tflite_schema import read_model, tensor_name, write_model, op_name

Range = tuple[float, float]


class TensorRanges(dict):
    """``{tensor index: (min, max)}`` that also remembers each tensor's name.

    :func:`apply_ranges` uses the names to prove the indices of the float model
    point at the same tensors in the calibrated model.
    """

    def __init__(self, ranges: Mapping[int, Range] = (), names: Mapping[int, str] | None = None):
        super().__init__(ranges)
        self.names: dict[int, str] = dict(names or {})


def apply_ranges(calibrated_model: bytes, ranges: Mapping[int, Range]) -> bytes:
    """``calibrated_model`` with the min/max of the tensors in ``ranges`` replaced.

    ``ranges`` is keyed by tensor index of the float model (the calibrator keeps
    indices and names). Every range must contain 0; a tensor the calibrator did not
    record, or whose name differs from the one in a :class:`TensorRanges`, is an error.
    """
    m = read_model(calibrated_model, "calibrated model")
    tensors = m.subgraphs[0].tensors
    names = getattr(ranges, "names", {})
    for idx, (lo, hi) in ranges.items():
        if not 0 <= idx < len(tensors):
            raise ModelError(f"range given for tensor {idx}, but the calibrated model has {len(tensors)} tensors: "
                             "compute the ranges on the same float model that was calibrated")
        t = tensors[idx]
        if idx in names and names[idx] != tensor_name(t):
            raise ModelError(f"tensor {idx} is '{tensor_name(t)}' in the calibrated model but "
                             f"'{names[idx]}' in the float model: calibrate the same float model the ranges came from")
        q = t.quantization
        if q is None or q.min is None or q.max is None or len(q.min) != 1:
            raise ModelError(f"tensor {idx} ('{tensor_name(t)}') has no calibrated range: "
                             "pass the output of Calibrator.calibrate, not the float model")
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= 0.0 <= hi and lo < hi):
            raise EdgeqError(f"range ({lo}, {hi}) of tensor {idx} must be finite and contain 0: "
                             "widen it to include 0 (int8 must represent 0 exactly)")
        q.min = np.array([lo], dtype=np.float32)
        q.max = np.array([hi], dtype=np.float32)
    return write_model(m)


# ops whose int8 output must share the input's scale and zero point
_SAME_AS_INPUT = {"CONCATENATION", "MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE", "SQUEEZE", "TRANSPOSE"}
# ops with a fixed int8 output encoding: (scale, zero point)
_FIXED_OUTPUT = {"SOFTMAX": (1 / 256, -128), "LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}


def constraint_violations(quant_model: bytes) -> list[str]:
    """Op quantization constraints that ``quant_model`` breaks (empty when it is valid).

    Checks int8 activations only: shared scale/zero point across concat, pooling and
    shape ops; fixed output encodings of softmax/logistic/tanh; zero points in int8 range.
    """
    m = read_model(quant_model, "quantized model")
    sg = m.subgraphs[0]
    problems: list[str] = []

    def qp(i: int):
        t = sg.tensors[i]
        q = t.quantization
        if q is None or q.scale is None or len(q.scale) != 1 or t.type != 9:  # 9 = INT8
            return None
        return float(q.scale[0]), int(q.zeroPoint[0])

    for k, op in enumerate(sg.operators or []):
        name = op_name(m, op)
        outs = [int(i) for i in op.outputs if i >= 0]
        ins = [int(i) for i in op.inputs if i >= 0]
        for o in outs:
            p = qp(o)
            if p and not -128 <= p[1] <= 127:
                problems.append(f"op {k} {name}: output zero point {p[1]} outside int8")
        if name in _SAME_AS_INPUT:
            params = [qp(i) for i in ([ins[0]] if name != "CONCATENATION" else ins) + outs]
            params = [p for p in params if p is not None]
            if params and any(not np.isclose(p[0], params[0][0], rtol=1e-6) or p[1] != params[0][1]
                              for p in params):
                problems.append(f"op {k} {name}: inputs/outputs do not share one scale/zero point: {params}")
        if name in _FIXED_OUTPUT:
            p = qp(outs[0])
            want = _FIXED_OUTPUT[name]
            if p and (not np.isclose(p[0], want[0]) or p[1] != want[1]):
                problems.append(f"op {k} {name}: output encoding {p}, must be {want}")
    return problems
