"""Empirical bias correction removes the systematic (mean) error that weight rounding causes."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from edgeq.quantize.bias_correction import correct_bias
from edgeq.options import ConvertOptions
from edgeq.quantize.stage import quantize_stage
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model, tensor_name


def depthwise_model() -> bytes:
    """ReLU features into a depthwise conv whose channel 0 has 40x larger weights.

    With one weight scale per tensor, the other channels' weights round coarsely;
    their inputs are positive (after ReLU), so the rounding error does not average
    out: each channel's output is shifted by E[x]·Σδw.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.Flatten(name="flat")(x)
    m = keras.Model(inp, keras.layers.Dense(10, name="head")(x))
    w, b = m.get_layer("stem").get_weights()
    m.get_layer("stem").set_weights([w * 0.3, b + 2.0])  # features ≈ 2 ± small: the mean dominates
    w, b = m.get_layer("dw").get_weights()
    w[..., 0, :] *= 40.0
    m.get_layer("dw").set_weights([w, b])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(1, 8, 8, 3)).astype(np.float32)] for _ in range(n)]


def _dw_errors(fb: bytes, qb: bytes, samples) -> tuple[np.ndarray, float]:
    """Per-channel mean error and SQNR of the dw output, and the model output SQNR, on ``samples``."""
    fm = read_model(fb)
    fsg, qsg = fm.subgraphs[0], read_model(qb).subgraphs[0]
    fi_idx = next(int(op.outputs[0]) for op in fsg.operators if op_name(fm, op) == "DEPTHWISE_CONV_2D")
    qi_idx = next(i for i, t in enumerate(qsg.tensors) if tensor_name(t) == tensor_name(fsg.tensors[fi_idx]))
    fi = Interpreter(fb, resolver="reference", preserve_all_tensors=True)
    qi = Interpreter(qb, resolver="reference", preserve_all_tensors=True)
    q = qsg.tensors[qi_idx].quantization
    err, sums = np.zeros(8), np.zeros(4)
    for s in samples:
        ref_out, got_out = fi.run_float(s)[0].astype(np.float64), qi.run_float(s)[0]
        got = (qi.tensor(qi_idx).astype(np.float64) - q.zeroPoint[0]) * q.scale[0]
        ref = fi.tensor(fi_idx).astype(np.float64)
        err += (got - ref).reshape(-1, 8).mean(axis=0) / len(samples)
        sums += [np.sum(ref ** 2), np.sum((ref - got) ** 2), np.sum(ref_out ** 2), np.sum((ref_out - got_out) ** 2)]
    return err, 10 * np.log10(sums[0] / sums[1]), 10 * np.log10(sums[2] / sums[3])


def test_bias_correction_removes_mean_error_on_held_out_data():
    fb = depthwise_model()
    cal, ev = _samples(0, 32), _samples(1, 32)
    opts = ConvertOptions(calibration="minmax", per_tensor=True, equalize=False)
    plain = quantize_stage(fb, cal, opts).model
    fixed, n = correct_bias(fb, plain, cal)
    assert n >= 1
    err_plain, dw_plain, out_plain = _dw_errors(fb, plain, ev)
    err_fixed, dw_fixed, out_fixed = _dw_errors(fb, fixed, ev)
    assert np.abs(err_fixed).mean() < 0.3 * np.abs(err_plain).mean()
    assert dw_fixed > dw_plain + 1.5, (dw_plain, dw_fixed)
    assert out_fixed > out_plain, (out_plain, out_fixed)
    # the quantize stage's option does the same
    with_option = quantize_stage(fb, cal, opts.replace(bias_correction=True))
    assert with_option.model == fixed and with_option.bias_corrected == n
