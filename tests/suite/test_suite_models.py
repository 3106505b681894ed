"""Every suite builder gives a model that stock LiteRT runs, with the ops that make it worth having.

Small sizes and two calibration samples keep this fast; the models land in the user's suite
cache, so a second run reuses them (the key covers the code and versions they came from).
"""
from __future__ import annotations

import numpy as np
import pytest

import edgeq
from edgeq import suite
from edgeq.runtime import Interpreter

KERAS = suite.names("keras.applications")
# ops each architecture is in the suite for (int8, TensorFlow's converter)
MUST_HAVE = {
    "mobilenet_v2": {"DEPTHWISE_CONV_2D", "ADD"},
    "mobilenet_v3_small": {"HARD_SWISH", "MUL", "DEPTHWISE_CONV_2D"},
    "mobilenet_v3_large": {"HARD_SWISH", "MUL", "DEPTHWISE_CONV_2D"},
    "efficientnet_b0": {"LOGISTIC", "MUL", "MEAN"},
    "efficientnet_v2_b0": {"LOGISTIC", "MUL", "CONV_2D"},
    "resnet50": {"MAX_POOL_2D", "ADD", "CONV_2D"},
    # Keras writes ConvNeXt's depthwise 7x7 as a grouped Conv2D: TFLite CONV_2D with 1 input channel per group
    "convnext_tiny": {"CONV_2D", "GELU", "SQUARED_DIFFERENCE"},
}


def _runs_int8(model: bytes, x: np.ndarray) -> np.ndarray:
    it = Interpreter(model, resolver="builtin")
    (spec,) = it.inputs
    assert spec.dtype == np.int8 and spec.shape[0] == 1
    out = it.run([spec.quantize(x[:1])])[0]
    assert out.dtype == np.int8
    return out


@pytest.mark.parametrize("name", KERAS)
def test_keras_applications_builder_converts_with_tensorflow_and_runs(name):
    m = suite.get(name, 32, "tf-int8", samples=2)
    ops = set(edgeq.inspect_model(m.bytes)["op_counts"])
    assert MUST_HAVE[name] <= ops, ops
    # random weights make the softmax head near-uniform: the shape is what can be checked here
    assert _runs_int8(m.bytes, m.inputs(1)[0]).shape == (1, 1000)


def test_edgeq_int8_mobilenet_v2_is_fully_integer_and_follows_float():
    f = suite.get("mobilenet_v2", 32, "float")
    q = suite.get("mobilenet_v2", 32, "int8", samples=2)
    assert q.meta["fully_integer"] and q.meta["converter"].startswith("edgeq.convert")
    x = q.inputs(1)[0]
    ref = Interpreter(f.bytes, resolver="builtin").run([x])[0]
    it = Interpreter(q.bytes, resolver="builtin")
    got = it.outputs[0].dequantize(_runs_int8(q.bytes, x))
    assert got.shape == ref.shape == (1, 1000)
    # softmax probabilities: a broken conversion (all 127, a wrong scale) is far off
    assert np.abs(got - ref).max() < 0.05, (got.max(), ref.max())
    # ...but random weights make them ~1/1000 everywhere (int8: -128 everywhere), and the logits collapse
    # too: the deepest tensor that does not (block 10 at 32x32) must follow its float twin (same name).
    # Measured relative RMS error 0.05-0.08 on four inputs; a scale off by 2x gives 0.5-1.0.
    from edgeq import tflite_schema as ts
    from edgeq.suite.informative import informative_tensors

    qx = [it.inputs[0].quantize(x)]
    t = informative_tensors(q.bytes, qx)[-1]
    qm, fm = ts.read_model(q.bytes), ts.read_model(f.bytes)
    name = ts.tensor_name(qm.subgraphs[0].tensors[t])
    f_idx = [ts.tensor_name(ft) for ft in fm.subgraphs[0].tensors].index(name)
    fi = Interpreter(f.bytes, resolver="builtin", preserve_all_tensors=True)
    qi = Interpreter(q.bytes, resolver="builtin", preserve_all_tensors=True)
    fi.run([x])
    qi.run(qx)
    qt = qm.subgraphs[0].tensors[t].quantization
    want = fi.tensor(f_idx).astype(np.float64)
    have = (qi.tensor(t).astype(np.float64) - qt.zeroPoint[0]) * qt.scale[0]
    assert np.unique(qi.tensor(t)).size >= 16
    assert np.linalg.norm(have - want) / np.linalg.norm(want) < 0.3, name


def test_dynamic_batch_from_tensorflow_has_the_runtime_shape_chain():
    m = suite.get("mobilenet_v3_small", 32, "tf-int8-dynbatch", samples=2)
    ops = edgeq.inspect_model(m.bytes)["op_counts"]
    assert {"SHAPE", "PACK", "RESHAPE"} <= set(ops), ops
    assert _runs_int8(m.bytes, m.inputs(1)[0]).shape == (1, 1000)


def test_transformer_encoder_has_attention_ops_and_runs_int8():
    m = suite.get("encoder_l6", 8, "int8", samples=2)
    ops = edgeq.inspect_model(m.bytes)["op_counts"]
    assert {"BATCH_MATMUL", "SOFTMAX", "FULLY_CONNECTED", "GELU"} <= set(ops), ops
    assert ops["BATCH_MATMUL"] == 12  # two per layer, six layers
    x = m.inputs(1)
    assert x[0].shape == (1, 8, 384)
    out = _runs_int8(m.bytes, x[0])
    assert out.shape == (1, 384)


def test_int4_mlp_stores_int4_weights_and_runs():
    m8 = suite.get("mlp", 64, "int8", samples=2)
    m4 = suite.get("mlp", 64, "int4", samples=2)
    w8 = {k.lower(): v for k, v in edgeq.inspect_model(m8.bytes)["weight_bytes_by_type"].items()}
    w4 = {k.lower(): v for k, v in edgeq.inspect_model(m4.bytes)["weight_bytes_by_type"].items()}
    assert w4.get("int4", 0) > 0 and w4["int4"] * 2 <= w8["int8"] + 64, (w4, w8)
    x = m4.inputs(2)[0]
    a, b = _runs_int8(m8.bytes, x), _runs_int8(m4.bytes, x)
    assert a.shape == b.shape == (1, 10)
