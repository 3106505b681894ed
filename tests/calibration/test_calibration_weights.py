"""Per-channel MSE weight clipping applied to a model: the int8 weights end up closer to the float ones."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from edgeq.options import ConvertOptions
from edgeq.quantize.stage import quantize_stage
from edgeq.quantize.weight_clipping import clip_model_weights
from edgeq.tflite_schema import op_name, read_model

IN = 30_000  # inputs per output channel: enough for the Laplace tail to pass the 8-bit optimum (~9.9 b)


def fc_model() -> bytes:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(4)
    inp = keras.Input((IN,), name="x")
    m = keras.Model(inp, keras.layers.Dense(8, name="fc")(inp))
    w = np.random.default_rng(4).laplace(0, 0.02, size=(IN, 8)).astype(np.float32)
    w[:, 0] = np.random.default_rng(5).uniform(-0.1, 0.1, size=IN)  # a channel with no tail
    m.get_layer("fc").set_weights([w, np.zeros(8, np.float32)])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _fc_weights(model: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """FC weights [out, in] as stored, and per-channel scales when int8."""
    m = read_model(model)
    sg = m.subgraphs[0]
    op = next(o for o in sg.operators if op_name(m, o) == "FULLY_CONNECTED")
    t = sg.tensors[op.inputs[1]]
    raw = bytes(m.buffers[t.buffer].data)
    if t.type == 9:
        return np.frombuffer(raw, np.int8).reshape(t.shape), np.asarray(t.quantization.scale)
    return np.frombuffer(raw, np.float32).reshape(t.shape), None


def test_clipping_reduces_int8_weight_error_against_the_original():
    fb = fc_model()
    orig, _ = _fc_weights(fb)
    clipped_model, n = clip_model_weights(fb)
    assert n == 1
    clipped, _ = _fc_weights(clipped_model)
    amax, cmax = np.abs(orig).max(axis=1), np.abs(clipped).max(axis=1)
    assert np.all(cmax[1:] < amax[1:])  # the Laplace channels are clipped
    assert cmax[0] > 0.98 * amax[0]  # the uniform one barely

    rng = np.random.default_rng(0)
    cal = [[rng.normal(size=(1, IN)).astype(np.float32)] for _ in range(4)]
    errs = {}
    for clip in (False, True):
        opts = ConvertOptions(calibration="minmax", equalize=False, weight_clipping=clip)
        q, scale = _fc_weights(quantize_stage(fb, cal, opts).model)
        deq = q.astype(np.float64) * scale[:, None]
        errs[clip] = np.sum((deq - orig) ** 2, axis=1)
    assert np.all(errs[True][1:] < errs[False][1:]), errs
    assert errs[True].sum() < 0.97 * errs[False].sum(), errs
