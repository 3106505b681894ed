"""edgeq convert --weights int4|mixed: packed int4 weights from the converter itself."""
from __future__ import annotations

import json

import numpy as np

import edgeq
from edgeq.runtime import Interpreter


def test_demo_int4_weights_gptq(demo):
    r8 = edgeq.convert(demo.keras_path, demo.calib, eval_data=demo.test)
    r4 = edgeq.convert(demo.keras_path, demo.calib, eval_data=demo.test, weights="int4")
    info = r4.report["model"]
    assert info["weight_bytes_by_type"].get("int4", 0) > 0
    assert info["weight_bytes_by_type"].get("int8", 0) < r8.report["model"]["weight_bytes_by_type"]["int8"]
    assert len(r4.model) < len(r8.model)
    ev = r4.report["evaluation"]["outputs"][0]
    assert ev["accuracy_drop_points"] <= 2.0, ev  # the goal for the demo
    assert sorted(r4.report["int4"]["int4_layers"]) == ["conv1", "conv2", "conv3", "logits"]
    # stock LiteRT runs it
    it = Interpreter(r4.model, resolver="reference")
    assert it.run([np.zeros(it.inputs[0].shape, np.int8)])[0].shape == (1, 10)


def test_cli_int4_layers_and_mixed(demo, tmp_path, run_cli):
    out = tmp_path / "m.tflite"
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "-o", out, "--int4-layers", "conv2,conv3",
                  "--int4-rounding", "nearest", "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert sorted(rep["int4"]["int4_layers"]) == ["conv2", "conv3"]
    assert rep["manifest"]["recipe"]["int4_layers"] == ["conv2", "conv3"]
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "--eval-data", demo.test, "-o",
                  tmp_path / "mixed.tflite", "--weights", "mixed", "--max-accuracy-drop", "1", "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert rep["evaluation"]["outputs"][0]["accuracy_drop_points"] <= 1.0
    assert rep["model"]["weight_bytes_by_type"].get("int4", 0) > 0


def test_cli_int4_of_a_float_model_is_refused(tiny, tmp_path, run_cli):
    # it exited 0 with an empty table and wrote the float model back ("INT8 229714 B -> INT4 229724 B")
    out = tmp_path / "m.tflite"
    res = run_cli("int4", tiny.float_tflite, "-o", out)
    assert res.code == 2 and "Traceback" not in res.err, res.err
    assert "has no FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D layer with int8 weights" in res.err, res.err
    assert "edgeq convert MODEL --data SAMPLES --weights int4" in res.err and not out.exists()


def test_cli_int4_json_and_usage_errors_as_json(demo, tmp_path, run_cli):
    """edgeq int4 --json prints its report as one JSON document (main: no --json, a usage error), and a usage
    error of any command given --json puts {"error", "kind"} on stdout as its other errors do (main: nothing)."""
    m8, m4 = tmp_path / "m8.tflite", tmp_path / "m4.tflite"
    assert run_cli("convert", demo.keras_path, "--data", demo.calib, "-o", m8).code == 0
    res = run_cli("int4", m8, "-o", m4, "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert m4.is_file() and rep["int4_layers"] and set(rep["int4_layers"]) <= {"conv1", "conv2", "conv3", "logits"}
    res = run_cli("int4", m8, "--json")  # no -o
    assert res.code == 2 and json.loads(res.out) == {"error": "Missing option '-o' / '--output'.",
                                                     "kind": "MissingParameter"}, res.out
    assert "Missing option" in res.err
