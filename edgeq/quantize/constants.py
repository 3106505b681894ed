"""Read and replace float32 constants (weights, biases) inside a parsed .tflite model."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tflite_schema import tensor_type_code


def float_constant(m: Any, sg: Any, idx: int) -> np.ndarray | None:
    """A copy of the float32 constant behind tensor ``idx``; None for activations and other types."""
    if idx < 0:
        return None
    t = sg.tensors[idx]
    buf = m.buffers[t.buffer] if t.buffer is not None and t.buffer < len(m.buffers) else None
    if t.type != tensor_type_code("float32") or buf is None or buf.data is None or len(buf.data) == 0:
        return None
    return np.frombuffer(np.asarray(buf.data, dtype=np.uint8).tobytes(), dtype=np.float32).reshape(t.shape).copy()


def store_float(m: Any, sg: Any, idx: int, value: np.ndarray) -> None:
    """Replace the data of constant tensor ``idx`` (same shape) with ``value`` as float32."""
    m.buffers[sg.tensors[idx].buffer].data = np.frombuffer(value.astype(np.float32).tobytes(), dtype=np.uint8)
