"""Keras model → (float, full-integer int8) TFLite bytes with TFLite's own converter.

Used by edgeq's int4 tests and benchmark to build models independently of edgeq's
converter (a plain TFLiteConverter int8 model is the baseline that int4 is measured
against); both files come from one SavedModel, so tensor names match between them.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np


def keras_to_tflite(model: Any, representative: np.ndarray, *, max_samples: int = 200,
                    per_tensor: bool = False) -> tuple[bytes, bytes]:
    """(float32 model, int8 model with int8 I/O) for a single-input Keras model.

    ``per_tensor``: one weight scale per tensor instead of per output channel.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    rep = np.asarray(representative, np.float32)[:max_samples]
    with tempfile.TemporaryDirectory() as d:
        model.export(d, verbose=False)
        float_bytes = tf.lite.TFLiteConverter.from_saved_model(d).convert()
        conv = tf.lite.TFLiteConverter.from_saved_model(d)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([x[None]] for x in rep)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        if per_tensor:
            conv._experimental_disable_per_channel = True  # the converter's only per-tensor switch
        int8_bytes = conv.convert()
    return bytes(float_bytes), bytes(int8_bytes)
