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


def test_biases_sharing_one_buffer_are_corrected_apart():
    """TFLite's quantizer stores equal constants once: zero biases of several layers can share one buffer
    (mediapipe's palm detectors share one zero bias among their depthwise convs). Writing one layer's
    correction into it wrote it into every other layer's bias too; corrected, each layer gets its own."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(7)
    inp = keras.Input((6, 6, 4), name="img")
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw1")(inp)
    m = keras.Model(inp, keras.layers.DepthwiseConv2D(3, padding="same", name="dw2")(x))
    for name in ("dw1", "dw2"):
        w, b = m.get_layer(name).get_weights()
        w[1, 1] *= 40.0  # coarse rounding of the small taps: a mean error on positive inputs
        m.get_layer(name).set_weights([np.abs(w), np.zeros_like(b)])
    fb = tf.lite.TFLiteConverter.from_keras_model(m).convert()
    rng = np.random.default_rng(0)
    cal = [[rng.uniform(1.0, 3.0, size=(1, 6, 6, 4)).astype(np.float32)] for _ in range(8)]
    plain = quantize_stage(fb, cal, ConvertOptions(calibration="minmax", equalize=False)).model

    def biases(model: bytes, share: bool = False) -> tuple[bytes, list[np.ndarray]]:
        qm = read_model(model)
        sg = qm.subgraphs[0]
        ts = [sg.tensors[op.inputs[2]] for op in sg.operators if op_name(qm, op) == "DEPTHWISE_CONV_2D"]
        if share:
            ts[1].buffer = ts[0].buffer
        from edgeq.tflite_schema import write_model

        return write_model(qm), [np.frombuffer(np.asarray(qm.buffers[t.buffer].data, dtype=np.uint8).tobytes(),
                                               dtype=np.int32) for t in ts]

    shared, (b1, b2) = biases(plain, share=True)
    assert not b1.any() and not b2.any()  # zero biases: sharing their buffer is the same model
    want, n = correct_bias(fb, plain, cal)
    got, m2 = correct_bias(fb, shared, cal)
    assert n == m2 == 2
    _, (w1, w2) = biases(want)
    _, (g1, g2) = biases(got)
    assert w1.any() and w2.any() and not np.array_equal(w1, w2)
    np.testing.assert_array_equal(g1, w1)
    np.testing.assert_array_equal(g2, w2)
