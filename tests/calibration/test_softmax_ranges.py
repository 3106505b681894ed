"""Softmax inputs keep their whole observed range whatever the calibration method.

A softmax is made of its largest inputs: clipping the upper tail of the logits, as mse and
percentile do for ordinary tensors, flattens the probabilities of exactly the confident samples.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from edgeq.quantize.calibration import METHODS, activation_ranges
from edgeq.quantize.calibration.observers import collect_statistics
from edgeq.tflite_schema import read_model


def twin_logits_model() -> bytes:
    """Two (nearly) identical heavy-tailed 'logits' tensors: one feeds a softmax, its twin is a plain output."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    inp = keras.Input((16,), name="x")
    logits = keras.layers.Dense(32, name="logits")(inp)
    twin = keras.layers.Dense(32, name="twin")(inp)
    probs = keras.layers.Softmax(name="probs")(logits)
    m = keras.Model(inp, [probs, twin])
    w, b = m.get_layer("logits").get_weights()
    m.get_layer("twin").set_weights([w * 1.001, b * 1.001])  # not bit-identical: the converter would merge them
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(0)
    # two confident samples far out: the logits' upper tail that clipping methods cut
    return [[(rng.normal(size=(1, 16)) * (20.0 if k in (3, 40) else 1.0)).astype(np.float32)] for k in range(n)]


@pytest.fixture(scope="module")
def model() -> bytes:
    return twin_logits_model()


def _pair(model: bytes) -> tuple[int, int]:
    """(softmax input, twin) tensor indices: the twin is the model output no softmax makes."""
    m = read_model(model)
    sg = m.subgraphs[0]
    op = next(op for op in sg.operators if m.operatorCodes[op.opcodeIndex].builtinCode == 25)  # SOFTMAX
    twin = next(int(i) for i in sg.outputs if int(i) != int(op.outputs[0]))
    return int(op.inputs[0]), twin


@pytest.mark.parametrize("method", ["mse", "percentile", "entropy"])
def test_softmax_input_keeps_its_observed_range_where_its_twin_is_clipped(model, method):
    samples = _samples(64)
    soft, twin = _pair(model)
    stats, _ = collect_statistics(model, samples, tensors=[soft, twin])
    whole = METHODS["minmax"](stats[soft])
    assert METHODS["minmax"](stats[twin]) == pytest.approx(whole, rel=0.01)  # the same values, nearly
    ranges = activation_ranges(model, samples, method, percentile=99.0)
    assert ranges[soft] == pytest.approx(whole)
    lo, hi = ranges[twin]
    assert hi < whole[1] - 1e-3 or lo > whole[0] + 1e-3, (method, ranges[twin], whole)
