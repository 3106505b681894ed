"""Cross-layer equalization: exact in float, and it undoes channel-scale outliers in int8."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from edgeq.quantize.equalize import equalize_cross_layer
from edgeq.quantize.stage import quantize_stage
from edgeq.options import ConvertOptions
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model


def conv_pair_model(activation: str = "relu", factor: float = 100.0) -> bytes:
    """conv1 -> ReLU -> conv2 whose conv1 channels 0-1 are ``factor``x larger, compensated in conv2."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(2)
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(16, 3, padding="same", activation=activation, name="conv1")(inp)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    m = keras.Model(inp, keras.layers.Dense(10, name="head")(x))
    w, b = m.get_layer("conv1").get_weights()
    w[..., :2] *= factor
    b[:2] *= factor
    m.get_layer("conv1").set_weights([w, b])
    w2, b2 = m.get_layer("conv2").get_weights()
    w2[:, :, :2, :] /= factor
    m.get_layer("conv2").set_weights([w2, b2])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(1, 8, 8, 3)).astype(np.float32)] for _ in range(n)]


def _run(model: bytes, samples) -> np.ndarray:
    interp = Interpreter(model, resolver="reference")
    return np.concatenate([interp.run_float(s)[0] for s in samples])


def _sqnr(ref, got) -> float:
    return float(10 * np.log10(np.sum(ref ** 2) / np.sum((ref - got) ** 2)))


def _conv_weights(model: bytes) -> list[np.ndarray]:
    m = read_model(model)
    sg = m.subgraphs[0]
    out = []
    for op in sg.operators:
        if op_name(m, op) == "CONV_2D":
            t = sg.tensors[op.inputs[1]]
            out.append(np.frombuffer(bytes(m.buffers[t.buffer].data), np.float32).reshape(t.shape))
    return out


def test_equalization_is_exact_and_balances_ranges():
    fb = conv_pair_model()
    eq, pairs = equalize_cross_layer(fb)
    assert pairs == 1
    ev = _samples(1, 8)
    ref, got = _run(fb, ev), _run(eq, ev)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    w1, w2 = _conv_weights(eq)  # TFLite layout [out, h, w, in]
    r1 = np.abs(w1).reshape(16, -1).max(axis=1)
    r2 = np.abs(np.moveaxis(w2, 3, 0)).reshape(16, -1).max(axis=1)
    np.testing.assert_allclose(r1, r2, rtol=1e-4)
    before = np.abs(_conv_weights(fb)[0]).reshape(16, -1).max(axis=1)
    assert before[:2].min() > 20 * np.median(before[2:])  # the outlier channels were real
    assert r1.max() < 0.2 * before.max()  # and equalization shrank them


def test_equalization_rescues_per_tensor_int8():
    fb = conv_pair_model()
    cal, ev = _samples(0, 32), _samples(1, 32)
    ref = _run(fb, ev)
    opts = ConvertOptions(calibration="minmax", per_tensor=True, equalize=False)
    plain = _sqnr(ref, _run(quantize_stage(fb, cal, opts).model, ev))
    stage = quantize_stage(fb, cal, opts.replace(equalize=True))
    assert stage.calibrated.graph_rewrites == {"cross_layer_equalization_pairs": 1}
    equalized = _sqnr(ref, _run(stage.model, ev))
    assert equalized > plain + 10, (plain, equalized)


def test_relu6_pairs_are_left_alone():
    fb = conv_pair_model(activation="relu6")
    eq, pairs = equalize_cross_layer(fb)
    assert pairs == 0
    assert _conv_weights(eq)[0].tobytes() == _conv_weights(fb)[0].tobytes()
