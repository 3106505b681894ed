"""Min/max calibration in edgeq's own interpreter, written where TFLite's calibrator writes it.

TFLite's calibrator runs the float model with the builtin op resolver only, so a model with
custom ops fails there even when edgeq can run them (mediapipe's ops, through the
``mediapipe`` delegate, see ``edgeq.runtime``). This records the same thing — each float
activation's observed min/max in its ``quantization.min/max`` — by running the model in
:class:`edgeq.runtime.Interpreter`, which loads the delegate those ops need. The MLIR
quantizer then keeps the custom ops float between DEQUANTIZE and QUANTIZE.
"""
from __future__ import annotations

import numpy as np

from ...tflite_schema import read_model, schema, write_model
from .observers import SampleSource, collect_statistics


def record_minmax(float_model: bytes, samples: SampleSource, *, progress: bool = False) -> bytes:
    """``float_model`` with every float activation's min/max over ``samples`` recorded."""
    stats, _ = collect_statistics(float_model, samples, progress=progress)
    m = read_model(float_model)
    tensors = m.subgraphs[0].tensors
    s = schema()
    for i, st in stats.items():
        if st.count == 0 or not (np.isfinite(st.min) and np.isfinite(st.max)):
            continue
        q = tensors[i].quantization or s.QuantizationParametersT()
        q.min = np.array([st.min], np.float32)
        q.max = np.array([st.max], np.float32)
        tensors[i].quantization = q
    return write_model(m)
