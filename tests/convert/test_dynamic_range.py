"""--activations float: TFLite dynamic-range quantization written by edgeq from the float .tflite.

The int8 weights must be exactly what TFLiteConverter's own dynamic-range mode writes (so the
model's outputs are too), the report must say the model is not fully integer, and int4 weights
must run on LiteRT's hybrid FULLY_CONNECTED as the same arithmetic as their int8-stored values.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from edgeq.tflite_schema import read_model, tensor_name, tensor_type_code, tensor_type_names


@pytest.fixture(scope="module")
def gemm_net(tmp_path_factory):
    """Conv, depthwise and dense layers all above TFLite's 1024-element threshold, one below it."""
    import keras

    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 8, 16), batch_size=1, name="x")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv")(inp)
    x = keras.layers.DepthwiseConv2D(5, depth_multiplier=2, padding="same", name="dw")(x)
    x = keras.layers.Conv2D(4, 1, name="tiny_pw")(x)  # 256 weights: stays float
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(10, name="fc")(x)
    model = keras.Model(inp, out)
    d = tmp_path_factory.mktemp("drq")
    path = d / "net.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    np.savez(d / "val.npz", x=rng.normal(size=(16, 8, 8, 16)).astype(np.float32))
    return model, path, d / "val.npz"


def _weights(data: bytes) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    m = read_model(data)
    types = tensor_type_names()
    out = {}
    for t in m.subgraphs[0].tensors:
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale):
            raw = np.asarray(m.buffers[t.buffer].data, np.uint8).tobytes()
            out[tensor_name(t)] = (types[t.type], np.frombuffer(raw, np.int8).copy(), np.asarray(q.scale))
    return out


def test_int8_weights_and_outputs_equal_tfliteconverter(gemm_net):
    import tensorflow as tf

    import edgeq
    from edgeq.runtime import Interpreter

    model, _, val = gemm_net
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]  # no representative data: dynamic range
    theirs = conv.convert()
    res = edgeq.convert(model, None, eval_data=val, activations="float", equalize=False)
    ours = res.model
    tw, ow = _weights(theirs), _weights(ours)
    assert len(ow) == 3 and sorted(tw) == sorted(ow)  # conv, dw, fc; tiny_pw stays float in both
    for name in tw:
        assert ow[name][0] == tw[name][0] == "int8"
        np.testing.assert_array_equal(ow[name][1], tw[name][1], err_msg=name)
        np.testing.assert_array_equal(ow[name][2], tw[name][2], err_msg=name)
    x = np.load(val)["x"]
    for resolver in ("builtin", "reference"):
        a, b = Interpreter(theirs, resolver=resolver), Interpreter(ours, resolver=resolver)
        for i in range(4):
            np.testing.assert_array_equal(a.run_float([x[i:i + 1]])[0], b.run_float([x[i:i + 1]])[0])
    rep = res.report
    assert rep["activations"] == "float" and rep["io"] == "float"
    assert rep["model"]["fully_integer"] is False and rep["allowed_float"] == []
    assert rep["dynamic_range"]["quantized_weights"] == 3
    assert any("tiny_pw" in k for k in rep["dynamic_range"]["kept_float"])
    assert rep["evaluation"]["outputs"][0]["sqnr_db"] > 30


def test_int4_fully_connected_runs_as_its_int8_twin(gemm_net):
    """Packed int4 FC weights on LiteRT's hybrid kernel: the reference kernel computes exactly what the
    same values stored as int8 do; the optimized one (which quantizes the input its own way) is as close
    to float with those weights as that int8 twin is."""
    from edgeq.int4.packing import unpack_int4
    from edgeq.model_source import from_keras_model
    from edgeq.quantize.dynamic_range import quantize_weights
    from edgeq.runtime import Interpreter
    from edgeq.tflite_schema import write_model

    model, _, val = gemm_net
    float_model = from_keras_model(model).tflite
    q4, rep = quantize_weights(float_model, "int4")
    assert rep.as_dict()["int4_weights"] == 1
    fc = [k for k, v in _weights(q4).items() if v[0] == "int4"]
    assert len(fc) == 1 and "fc" in fc[0]

    def variant(kind: str) -> bytes:  # the int4 model with its FC weights stored as int8, or dequantized
        m = read_model(q4)
        t = next(t for t in m.subgraphs[0].tensors if tensor_name(t) == fc[0])
        raw = np.asarray(m.buffers[t.buffer].data, np.uint8).tobytes()
        values = unpack_int4(raw, int(np.prod(t.shape)))
        assert values.min() >= -7 and values.max() <= 7 and np.abs(values).max() == 7
        if kind == "int8":
            t.type, data = tensor_type_code("int8"), values
        else:
            scales = np.asarray(t.quantization.scale, np.float32).reshape(-1, 1)
            data = (values.reshape(len(scales), -1) * scales).astype(np.float32)
            t.type, t.quantization = tensor_type_code("float32"), None
        m.buffers[t.buffer].data = np.frombuffer(data.tobytes(), np.uint8).copy()
        return write_model(m)

    twin, exact = variant("int8"), variant("float")
    x = np.load(val)["x"][:4]
    run = lambda model, resolver: np.stack([Interpreter(model, resolver=resolver).run_float([x[i:i + 1]])[0]
                                            for i in range(len(x))])
    ref4 = run(q4, "reference")
    np.testing.assert_array_equal(ref4, run(twin, "reference"))
    want = run(exact, "builtin")
    twin_err = np.abs(run(twin, "builtin") - want).max()
    assert 0 < np.abs(run(q4, "builtin") - want).max() <= 2 * twin_err
    q8, _ = quantize_weights(float_model, "int8")
    f = run(float_model, "builtin")
    assert np.abs(ref4 - f).max() > np.abs(run(q8, "reference") - f).max()  # 4 bits cost more: they are used


def test_cli_without_data_reports_not_fully_integer(run_cli, gemm_net, tmp_path):
    _, path, val = gemm_net
    out = tmp_path / "m_drq.tflite"
    res = run_cli("convert", path, "--activations", "float", "--weights", "int4", "--eval-data", val, "-o", out,
                  "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert rep["dynamic_range"]["int4_weights"] == 1 and rep["calibration"]["samples"] == 0
    assert "activations float" in rep["weights"]
    text = run_cli("convert", path, "--activations", "float", "-o", tmp_path / "m2.tflite")
    assert text.code == 0, text.err
    assert "NOT fully integer" in text.out
    assert out.exists() and (tmp_path / "m_drq.manifest.json").exists()


@pytest.mark.parametrize("extra,words", [
    (("--io", "uint8"), "does not go with --activations float"),
    (("--max-accuracy-drop", "1", "--eval-data", "VAL"), "--max-accuracy-drop needs integer activations"),
    (("--weights", "mixed"), "--weights mixed needs integer activations"),
])
def test_bad_combinations_fail_in_one_line(run_cli, gemm_net, tmp_path, extra, words):
    _, path, val = gemm_net
    extra = tuple(str(val) if e == "VAL" else e for e in extra)
    res = run_cli("convert", path, "--activations", "float", "-o", tmp_path / "m.tflite", *extra)
    assert res.code == 2 and "Traceback" not in res.err
    assert res.err.startswith("edgeq: error: ") and words in res.err, res.err
    assert not (tmp_path / "m.tflite").exists()


def test_integer_activations_still_need_data(run_cli, gemm_net, tmp_path):
    _, path, _ = gemm_net
    res = run_cli("convert", path, "-o", tmp_path / "m.tflite")
    assert res.code == 2 and "--data is needed" in res.err and "Traceback" not in res.err
