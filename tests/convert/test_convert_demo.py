"""edgeq's promises on the demo: fully integer, same integers on LiteRT and TFLM, accuracy kept."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import edgeq
from edgeq.micro import MicroInterpreter
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import read_model, tensor_type_names

INTEGER_TYPES = {"int8", "int16", "int32", "uint8", "int4"}


@pytest.fixture(scope="module")
def converted(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_out") / "digits_int8.tflite"
    result = edgeq.convert(demo.keras_path, demo.calib, eval_data=demo.test)
    result.save(out)
    return result, out


def test_demo_model_is_fully_integer_in_the_flatbuffer(converted):
    # Independent of edgeq's own checker: every tensor of every subgraph has an integer type.
    _, path = converted
    m = read_model(path.read_bytes())
    names = tensor_type_names()
    types = {names[t.type] for sg in m.subgraphs for t in sg.tensors}
    assert types <= INTEGER_TYPES, f"non-integer tensor types: {types - INTEGER_TYPES}"
    sg = m.subgraphs[0]
    for i in list(sg.inputs) + list(sg.outputs):
        assert names[sg.tensors[i].type] == "int8"


def test_weights_are_per_channel_int8_and_biases_int32(converted):
    _, path = converted
    m = read_model(path.read_bytes())
    sg = m.subgraphs[0]
    names = tensor_type_names()
    from edgeq.tflite_schema import op_name

    checked = 0
    for op in sg.operators:
        if op_name(m, op) in ("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D"):
            w = sg.tensors[op.inputs[1]]
            assert names[w.type] == "int8"
            assert len(w.quantization.scale) == w.shape[0]  # one scale per output channel
            assert all(z == 0 for z in w.quantization.zeroPoint)
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                assert names[sg.tensors[op.inputs[2]].type] == "int32"
            checked += 1
    assert checked == 4


def test_litert_and_tflite_micro_give_identical_int8_outputs(converted, demo):
    result, _ = converted
    with np.load(demo.test) as z:
        x = z["image"]
    lite = Interpreter(result.model, resolver="builtin")
    micro = MicroInterpreter(result.model)
    xq = lite.inputs[0].quantize(x)
    a = np.concatenate([lite.run([xq[i:i + 1]])[0] for i in range(len(xq))])
    b = np.concatenate([micro.run([xq[i:i + 1]])[0] for i in range(len(xq))])
    assert a.dtype == np.int8 and b.dtype == np.int8
    assert np.array_equal(a, b)


def test_int8_accuracy_within_one_point_of_float_on_held_out_split(converted):
    result, _ = converted
    ev = result.report["evaluation"]["outputs"][0]
    assert ev["float_accuracy"] > 0.9  # the demo model really learned the task
    assert ev["accuracy_drop_points"] <= 1.0
    assert result.report["evaluation"]["samples"] == 450


def test_report_has_sizes_ops_and_agreement(converted):
    result, _ = converted
    r = result.report
    assert r["sizes"]["quant_bytes"] == len(result.model)
    assert r["sizes"]["compression"] > 2.0
    assert r["model"]["fully_integer"]
    layers = {o["layer"] for o in r["model"]["ops"]}
    assert {"conv1", "conv2", "conv3", "logits"} <= layers  # the user's layer names
    json.dumps(r)  # JSON-serializable as --json promises
    # which kernels computed the accuracy figures: LiteRT's default path, XNNPACK (it requantizes in float, unlike
    # the builtin kernels, TFLite Micro and edgeq's delegates); the report named only the runtime and its version
    assert r["evaluation"]["runtime"]["path"] == "xnnpack"
    from edgeq.report import format_conversion
    assert re.search(r"\nevaluation on 450 samples \(ai-edge-litert \d[\w.]* on XNNPACK, its default path\):\n",
                     format_conversion(r)), format_conversion(r)


def test_cli_convert_writes_model_and_json(demo, tmp_path, run_cli):
    out = tmp_path / "m.tflite"
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "--eval-data", demo.test, "-o", out, "--json")
    assert res.code == 0, res.err
    report = json.loads(res.out)
    assert out.is_file() and report["sizes"]["quant_bytes"] == out.stat().st_size
    assert report["evaluation"]["outputs"][0]["top1_agreement"] > 0.95
    res = run_cli("inspect", out, "--json")
    info = json.loads(res.out)
    assert res.code == 0 and info["fully_integer"] and info["inputs"][0]["type"] == "int8"
    text = run_cli("inspect", out)
    assert "fully integer" in text.out and "CONV_2D" in text.out
