"""SmoothQuant-style smoothing: exact in float, the outlier channels leave the FC inputs, residual readers untouched."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from edgeq.quantize.smooth import channel_peaks, smooth_model, smoothable_inputs
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model


@pytest.fixture(scope="module")
def block() -> bytes:
    """dense -> LayerNorm (two gamma/beta channels 30x: the outliers) -> FC up / FC down, plus the residual
    ADD reading the LayerNorm output, as in a post-LN transformer block."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    inp = keras.Input((6, 16), batch_size=1, name="x")
    h = keras.layers.Dense(16, name="proj")(inp)
    ln = keras.layers.LayerNormalization(name="ln")
    n = ln(h)
    up = keras.layers.Dense(32, activation="relu", name="up")(n)
    down = keras.layers.Dense(16, name="down")(up)
    out = keras.layers.Add(name="res")([n, down])
    m = keras.Model(inp, out)
    gamma, beta = ln.get_weights()
    gamma[[3, 11]] *= 30.0
    beta[[3, 11]] += 5.0
    ln.set_weights([gamma, beta])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(1, 6, 16)).astype(np.float32)] for _ in range(n)]


def _run(model: bytes, samples) -> np.ndarray:
    it = Interpreter(model, resolver="builtin")
    return np.concatenate([it.run_float(s)[0] for s in samples])


def test_smoothing_is_exact_in_float_and_flattens_the_fc_input(block):
    cal = _samples(0, 8)
    targets = smoothable_inputs(block)
    assert len(targets) >= 2  # the LayerNorm output (into "up") and up's ReLU output (into "down")
    smoothed, rep = smooth_model(block, cal)
    assert rep.fcs == len([k for ks in targets.values() for k in ks]) and rep.copied_ops >= 2
    ref, got = _run(block, _samples(1, 4)), _run(smoothed, _samples(1, 4))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))
    # the LayerNorm output feeding "up": 30x outlier channels before, far flatter after
    assert rep.worst_ratio_before > 10.0 and rep.worst_ratio_after < rep.worst_ratio_before / 3
    m = read_model(smoothed)
    sg = m.subgraphs[0]
    fc_inputs = [int(op.inputs[0]) for op in sg.operators if op_name(m, op) == "FULLY_CONNECTED"]
    peaks = channel_peaks(smoothed, fc_inputs, cal)
    up_in = peaks[fc_inputs[1]]
    assert up_in.max() / np.median(up_in) < 5.0
    # the residual ADD still reads the unscaled LayerNorm output: both outlier channels are large there
    add = next(op for op in sg.operators if op_name(m, op) == "ADD" and int(op.outputs[0]) in set(sg.outputs))
    res_in = channel_peaks(smoothed, [int(add.inputs[0]), int(add.inputs[1])], cal)
    ln_side = max(res_in.values(), key=lambda p: p[[3, 11]].min() / np.median(p))
    assert ln_side[[3, 11]].min() > 5 * np.median(ln_side)


def test_nothing_to_smooth_leaves_the_model_alone():
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(4)
    inp = keras.Input((4, 4, 3), batch_size=1)
    x = keras.layers.Conv2D(4, 3, name="c")(inp)
    fb = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inp, x)).convert()
    out, rep = smooth_model(fb, [[np.zeros((1, 4, 4, 3), np.float32)]])
    assert out == fb and rep.fcs == 0
