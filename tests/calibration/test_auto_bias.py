"""calibration "auto" adds empirical bias correction to the ranges it chose only when the corrected model
beats the uncorrected one sample by sample on the held-out calibration samples (the sign test), and then
moves each int32 bias by exactly the rounded mean error measured on the first AUTO_BIAS_SAMPLES samples."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from functools import lru_cache

import numpy as np

import edgeq.quantize.bias_correction as bias_correction
from edgeq.options import ConvertOptions
from edgeq.quantize.stage import AUTO_BIAS_LABEL, AUTO_BIAS_SAMPLES, AUTO_SIGN_P, quantize_stage
from edgeq.quantize.tf_bridge import mlir_quantize
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model, write_model


@lru_cache(maxsize=1)
def dw_model() -> bytes:
    """One depthwise 3x3 conv whose centre tap is 40x the others: per-channel int8 weights round the
    small taps coarsely, and on positive inputs their rounding error shifts every output of a channel
    the same way (E[x]·Σδw), on every sample."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(5)
    inp = keras.Input((6, 6, 4), name="img")
    m = keras.Model(inp, keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(inp))
    w, b = m.get_layer("dw").get_weights()
    w[1, 1] *= 40.0
    m.get_layer("dw").set_weights([w, b])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(0)
    return [[rng.uniform(1.0, 3.0, size=(1, 6, 6, 4)).astype(np.float32)] for _ in range(n)]


def _bias(model: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The depthwise conv's int32 bias and its scale."""
    m = read_model(model)
    sg = m.subgraphs[0]
    op = next(op for op in sg.operators if op_name(m, op) == "DEPTHWISE_CONV_2D")
    t = sg.tensors[op.inputs[2]]
    data = np.frombuffer(np.asarray(m.buffers[t.buffer].data, dtype=np.uint8).tobytes(), dtype=np.int32)
    return data.astype(np.int64), np.asarray(t.quantization.scale, dtype=np.float64)


def _with_bias(model: bytes, bias: np.ndarray) -> bytes:
    """``model`` with the depthwise conv's int32 bias replaced (written back through the schema)."""
    m = read_model(model)
    sg = m.subgraphs[0]
    op = next(op for op in sg.operators if op_name(m, op) == "DEPTHWISE_CONV_2D")
    m.buffers[sg.tensors[op.inputs[2]].buffer].data = np.frombuffer(bias.astype(np.int32).tobytes(), dtype=np.uint8)
    return write_model(m)


def test_auto_keeps_bias_correction_that_wins_and_moves_the_biases_as_measured():
    fb, cal = dw_model(), _samples(32)
    got = quantize_stage(fb, cal, ConvertOptions())
    c = got.calibrated
    test = c.auto_test["bias_correction"]
    assert c.bias_correction and test["p"] <= AUTO_SIGN_P and test["ahead"] >= 7, test
    assert got.bias_corrected == 1 and AUTO_BIAS_LABEL in c.auto_scores
    # the same ranges without it, and the mean error of its output on the first AUTO_BIAS_SAMPLES samples
    plain = mlir_quantize(c.model, io="int8")
    fi, qi = Interpreter(c.float_model, resolver="builtin"), Interpreter(plain, resolver="builtin")
    out = qi.outputs[0]
    err, n = np.zeros(4), np.zeros(4)
    for s in cal[:AUTO_BIAS_SAMPLES]:
        ref = fi.run_float(s)[0].astype(np.float64).reshape(-1, 4)
        raw = qi.run([qi.inputs[0].quantize(s[0])])[0].reshape(-1, 4)
        linear = (raw > -128) & (raw < 127)
        err += np.where(linear, out.dequantize(raw).astype(np.float64).reshape(-1, 4) - ref, 0.0).sum(axis=0)
        n += linear.sum(axis=0)
    b0, scale = _bias(plain)
    step = np.round(err / n / scale).astype(np.int64)
    assert np.any(step), step
    b1, _ = _bias(got.model)
    np.testing.assert_array_equal(b1, b0 - step)
    # everything else is the model without it
    assert _with_bias(got.model, b0) == _with_bias(plain, b0)


def test_auto_drops_a_bias_correction_that_loses_on_held_out_samples(monkeypatch):
    fb, cal = dw_model(), _samples(32)
    real = bias_correction.correct_bias

    def backwards(float_model, quant_model, samples, **kw):
        """the measured correction with its sign flipped: the mean error doubled on every sample"""
        fixed, n = real(float_model, quant_model, samples, **kw)
        b0, _ = _bias(quant_model)
        b1, _ = _bias(fixed)
        return _with_bias(fixed, 2 * b0 - b1), n

    monkeypatch.setattr(bias_correction, "correct_bias", backwards)
    got = quantize_stage(fb, cal, ConvertOptions())
    c = got.calibrated
    test = c.auto_test["bias_correction"]
    assert not c.bias_correction and test["p"] > AUTO_SIGN_P and test["behind"] >= 7, test
    assert got.bias_corrected is None and AUTO_BIAS_LABEL not in c.auto_scores
    assert got.model == mlir_quantize(c.model, io="int8")


def test_no_bias_test_under_the_held_out_minimum():
    got = quantize_stage(dw_model(), _samples(16), ConvertOptions())
    assert got.calibrated.auto_test is None and not got.calibrated.bias_correction and got.bias_corrected is None
