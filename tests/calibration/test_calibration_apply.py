"""End to end: Keras model with outlier activations → float TFLite → each method → int8 on LiteRT."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from edgeq.quantize.calibration import METHODS, activation_ranges, apply_ranges, constraint_violations
from edgeq.quantize.calibration.apply import TensorRanges
from edgeq.options import ConvertOptions
from edgeq.quantize.stage import quantize_stage
from edgeq.quantize.tf_bridge import calibrate, mlir_quantize
from edgeq.errors import DataError, EdgeqError, ModelError
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import read_model, tensor_name


def outlier_model() -> bytes:
    """A conv net whose 'act' tensor has two rare, 20x larger channels that barely matter downstream.

    Global min/max spends int8's range on those spikes; the other 14 channels get
    a handful of levels. The downstream layers scale the spiky channels down by the
    same factor, so the float function stays ordinary.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inp)
    x = keras.layers.Conv2D(16, 3, padding="same", name="outlier_conv")(x)
    x = keras.layers.ReLU(name="act")(x)
    y = keras.layers.Conv2D(8, 1, name="side")(x)
    g = keras.layers.Conv2D(8, 1, activation="sigmoid", name="gate")(x)
    y = keras.layers.Multiply(name="gated")([y, g])
    x = keras.layers.Concatenate(name="cat")([x, y])
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    out = keras.layers.Dense(10, name="head")(x)
    m = keras.Model(inp, out)
    w, b = m.get_layer("outlier_conv").get_weights()
    w[..., :2] *= 60
    b[:2] = -80.0  # fires rarely, and then large
    m.get_layer("outlier_conv").set_weights([w, b])
    for name in ("side", "gate"):
        sw, sb = m.get_layer(name).get_weights()
        sw[:, :, :2, :] /= 60
        m.get_layer(name).set_weights([sw, sb])
    hw, hb = m.get_layer("head").get_weights()
    hw.reshape(16, 24, 10)[:, :2, :] /= 60  # flatten order: (position, channel)
    m.get_layer("head").set_weights([hw, hb])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(1, 8, 8, 3)).astype(np.float32)] for _ in range(n)]


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref ** 2) / max(np.sum((ref - got) ** 2), 1e-30)))


@pytest.fixture(scope="module")
def float_model() -> bytes:
    return outlier_model()


@pytest.fixture(scope="module")
def quantized(float_model):
    cal = _samples(0, 64)
    return {m: quantize_stage(float_model, cal, ConvertOptions(calibration=m, equalize=False)).model for m in METHODS}


def test_calibrator_keeps_float_tensor_indices_and_names(float_model):
    cal = calibrate(float_model, _samples(0, 4))
    f, c = read_model(float_model).subgraphs[0], read_model(cal).subgraphs[0]
    assert len(c.tensors) >= len(f.tensors)
    for i, t in enumerate(f.tensors):
        assert tensor_name(c.tensors[i]) == tensor_name(t)
    ranges = activation_ranges(float_model, _samples(0, 4), "minmax")
    # edgeq's own min/max equals what TFLite's calibrator recorded, tensor by tensor
    assert len(ranges) >= 8
    for i, (lo, hi) in ranges.items():
        q = c.tensors[i].quantization
        assert q.min is not None, ranges.names[i]
        assert lo == pytest.approx(min(float(q.min[0]), 0.0), rel=1e-5, abs=1e-6)
        assert hi == pytest.approx(max(float(q.max[0]), 0.0), rel=1e-5, abs=1e-6)


def test_every_method_gives_valid_int8_model_on_litert_reference(float_model, quantized):
    ev = _samples(1, 48)
    ref = np.concatenate([Interpreter(float_model, resolver="reference").run_float(s)[0] for s in ev])
    scores = {}
    for method, q in quantized.items():
        assert constraint_violations(q) == [], method
        interp = Interpreter(q, resolver="reference", runtime="ai-edge-litert")
        assert interp.inputs[0].dtype == np.int8 and interp.outputs[0].dtype == np.int8
        got = np.concatenate([interp.run_float(s)[0] for s in ev])
        scores[method] = sqnr_db(ref, got)
    assert scores["minmax"] > 10, scores  # the model is not broken, just hard for min/max
    assert scores["percentile"] > scores["minmax"] + 3.0, scores
    assert scores["mse"] > scores["minmax"], scores
    assert scores["entropy"] > scores["minmax"], scores


def _scale_of(model: bytes, name_part: str) -> float:
    sg = read_model(model).subgraphs[0]
    for t in sg.tensors:
        if name_part in tensor_name(t) and t.type == 9:
            return float(t.quantization.scale[0])
    raise AssertionError(f"no int8 tensor named like {name_part}")


def test_override_reaches_the_quantized_model(quantized):
    # the ReLU after outlier_conv: percentile cuts the rare spikes, min/max keeps them
    assert _scale_of(quantized["percentile"], "act_1/Relu") < 0.5 * _scale_of(quantized["minmax"], "act_1/Relu")


def test_apply_ranges_rejects_wrong_inputs(float_model):
    cal_samples = _samples(0, 4)
    ranges = activation_ranges(float_model, cal_samples, "mse")
    with pytest.raises(ModelError, match="no calibrated range"):
        apply_ranges(float_model, ranges)  # the float model, not the calibrated one
    calibrated = calibrate(float_model, cal_samples)
    i = next(iter(ranges))
    with pytest.raises(ModelError, match="calibrate the same float model"):
        apply_ranges(calibrated, TensorRanges({i: ranges[i]}, {i: "some/other/tensor"}))
    with pytest.raises(EdgeqError, match="contain 0"):
        apply_ranges(calibrated, {i: (0.5, 1.0)})
    with pytest.raises(ModelError, match="tensors"):
        apply_ranges(calibrated, {10_000: (-1.0, 1.0)})
    out = apply_ranges(calibrated, ranges)
    assert constraint_violations(mlir_quantize(out)) == []


def test_activation_ranges_rejects_bad_data(float_model):
    with pytest.raises(EdgeqError, match="unknown calibration method"):
        activation_ranges(float_model, _samples(0, 2), "kl")
    with pytest.raises(DataError, match="shape"):
        activation_ranges(float_model, [[np.zeros((1, 4, 4, 3), np.float32)]], "mse")
    with pytest.raises(DataError, match="empty"):
        activation_ranges(float_model, [], "mse")
