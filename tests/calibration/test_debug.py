"""Per-layer debug report: finds the layer that was made hard to quantize, under its Keras name."""
from __future__ import annotations

import json
import math
import re
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
from click.testing import CliRunner

from edgeq.quantize.calibration import constraint_violations
from edgeq.analysis.cli import debug_command, inspect_command
from edgeq.analysis.layer_errors import compare_layers
from edgeq.options import ConvertOptions
from edgeq.quantize.stage import quantize_stage

LAYERS = ["stem", "bad_conv", "mid_conv", "pool", "flat", "head", "prob"]
MINMAX = ConvertOptions(calibration="minmax", equalize=False)  # TFLite's own ranges, the float graph as given


def bad_layer_model() -> bytes:
    """``bad_conv`` reads one input channel that is always 0 with weights 1000x the others.

    Per-channel int8 weights then get a scale set by those huge (useless) weights,
    and every useful weight of bad_conv rounds to 0: its output is destroyed while
    every other layer quantizes normally.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(1)
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inp)
    x = keras.layers.Conv2D(8, 1, activation="relu", name="bad_conv")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="mid_conv")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, name="head")(x)
    out = keras.layers.Softmax(name="prob")(x)
    m = keras.Model(inp, out)
    w, b = m.get_layer("stem").get_weights()
    w[..., 0] = 0.0
    b[0] = -1.0  # stem channel 0 is always 0 after ReLU
    m.get_layer("stem").set_weights([w, b])
    w, b = m.get_layer("bad_conv").get_weights()
    w[:, :, 0, :] = 1000.0
    b[:] = 0.1
    m.get_layer("bad_conv").set_weights([w, b])
    return tf.lite.TFLiteConverter.from_keras_model(m).convert()


def _samples(seed: int, n: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(1, 8, 8, 3)).astype(np.float32)] for _ in range(n)]


@pytest.fixture(scope="module")
def models():
    fb = bad_layer_model()
    return fb, quantize_stage(fb, _samples(0, 32), MINMAX).model


def test_worst_layer_is_the_broken_one(models):
    fb, qb = models
    assert constraint_violations(qb) == []  # softmax keeps its fixed 1/256 encoding
    report = compare_layers(fb, qb, _samples(1, 16))
    names = [r.layer for r in report.layers]
    assert set(LAYERS) - {"flat", "pool", "prob"} <= set(names), names  # the user's Keras names
    worst = report.layers[0]
    assert worst.layer == "bad_conv", [(r.layer, r.sqnr_db, r.sqnr_drop_db) for r in report.layers]
    assert worst.sqnr_db < 10 and worst.cosine < 0.99
    stem = next(r for r in report.layers if r.layer == "stem")
    assert stem.sqnr_db > 25 and stem.cosine > 0.999
    assert 0.2 < stem.rmse_over_scale < 1.0  # about rounding noise
    mid = next(r for r in report.layers if r.layer == "mid_conv")
    assert mid.sqnr_drop_db < worst.sqnr_drop_db - 10  # inherits bad_conv's error, adds little


def test_float_io_model_matches_through_quantize_ops(models):
    fb, _ = models
    qb = quantize_stage(fb, _samples(0, 32), MINMAX.replace(io="float")).model  # QUANTIZE in, DEQUANTIZE out
    report = compare_layers(fb, qb, _samples(1, 8))
    assert report.layers[0].layer == "bad_conv"
    stem = next(r for r in report.layers if r.layer == "stem")
    assert 30 < stem.input_sqnr_db < 80  # the int8-quantized image, matched through QUANTIZE
    assert all(not math.isnan(r.sqnr_drop_db) for r in report.layers)


def test_cli_json_and_html(models, tmp_path):
    fb, qb = models
    (tmp_path / "f.tflite").write_bytes(fb)
    (tmp_path / "q.tflite").write_bytes(qb)
    np.save(tmp_path / "data.npy", np.concatenate([s[0] for s in _samples(2, 8)]))
    args = [str(tmp_path / "f.tflite"), str(tmp_path / "q.tflite"), "--data", str(tmp_path / "data.npy")]
    res = CliRunner().invoke(debug_command, args + ["--json", "--sensitivity", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["samples"] == 8 and doc["layers"][0]["layer"] == "bad_conv"
    assert doc["sensitivity"][0]["layer"] == "bad_conv"
    page = (tmp_path / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "bad_conv" in page
    assert "<h2>Sensitivity</h2>" in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    res = CliRunner().invoke(debug_command, args)
    assert res.exit_code == 0 and res.output.splitlines()[2].startswith("bad_conv")


def test_cli_rejects_bad_input(models, tmp_path):
    fb, qb = models
    (tmp_path / "f.tflite").write_bytes(fb)
    (tmp_path / "q.tflite").write_bytes(qb)
    (tmp_path / "junk.tflite").write_bytes(b"not a model")
    np.save(tmp_path / "wrong.npy", np.zeros((4, 5, 5, 3), np.float32))
    np.save(tmp_path / "data.npy", np.zeros((4, 8, 8, 3), np.float32))
    f, q = str(tmp_path / "f.tflite"), str(tmp_path / "q.tflite")
    cases = [
        ([f, str(tmp_path / "junk.tflite"), "--data", str(tmp_path / "data.npy")], "not a TFLite"),
        ([f, str(tmp_path / "missing.tflite"), "--data", str(tmp_path / "data.npy")], "does not exist"),
        ([f, q, "--data", str(tmp_path / "wrong.npy")], "shape"),
        ([f, q, "--data", str(tmp_path / "data.npy"), "-o", str(tmp_path / "r.pdf")], "report.html"),
        ([f, q, "--data", str(tmp_path / "data.npy"), "-o", str(tmp_path / "no" / "r.html")], "does not exist"),
    ]
    for args, msg in cases:
        res = CliRunner().invoke(debug_command, args)
        assert res.exit_code != 0
        assert msg in str(res.exception), (args, res.exception)
    assert not (tmp_path / "r.pdf").exists()


def test_sensitivity_ranks_the_broken_layer_first(models):
    from edgeq.analysis.sensitivity import layer_sensitivity

    fb, _ = models
    ev = _samples(3, 16)
    ranked = layer_sensitivity(fb, _samples(0, 16), ev)
    names = [r.layer for r in ranked]
    assert {"stem", "bad_conv", "mid_conv", "head"} <= set(names), names
    assert ranked[0].layer == "bad_conv", [(r.layer, r.sqnr_db) for r in ranked]
    others = [r.sqnr_db for r in ranked[1:] if r.layer in ("stem", "mid_conv", "head")]
    assert ranked[0].sqnr_db < min(others) - 10
    from edgeq.runtime import Interpreter

    interp = Interpreter(fb, resolver="builtin")
    labels = np.array([int(interp.run_float(s)[0].argmax()) for s in ev])  # float model: 100 %
    by_acc = layer_sensitivity(fb, _samples(0, 16), ev, labels=labels)
    assert by_acc[0].layer == "bad_conv" and by_acc[0].accuracy < 90, by_acc
    assert by_acc[-1].accuracy == 100.0, by_acc


def test_model_the_reference_kernels_abort_on_is_compared_on_builtin_kernels(tmp_path):
    """A SOFTMAX whose input scale x beta <= 2^-26 (near-constant logits: random-weight heads, MobileNetV3Small
    from keras.applications) makes LiteRT's reference kernel abort the process: edgeq debug died with SIGABRT and
    no word. It runs the integer model on the builtin kernels instead and says so."""
    import subprocess
    import sys

    import keras

    import edgeq
    from edgeq.datasets import Samples

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="logits", kernel_initializer=
                                                                keras.initializers.RandomNormal(stddev=1e-9)),
                          keras.layers.Softmax(name="probs")])
    m.save(tmp_path / "m.keras")
    x = np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    edgeq.convert(m, Samples([x])).save(tmp_path / "m_int8.tflite", manifest_sidecar=False)
    r = subprocess.run([sys.executable, "-m", "edgeq.cli", "debug", str(tmp_path / "m.keras"),
                        str(tmp_path / "m_int8.tflite"), "--data", str(tmp_path / "x.npy"), "--json"],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert r.returncode == 0, r.stderr[-2000:]
    rep = json.loads(r.stdout)
    assert {row["op"] for row in rep["layers"]} == {"SOFTMAX", "FULLY_CONNECTED"}
    (note,) = rep["notes"]
    assert "ran on LiteRT's builtin kernels" in note and "SOFTMAX #1" in note and "2^-26" in note


def test_html_keeps_long_layer_names_on_the_page(tmp_path):
    """Zoo models name layers by scope paths: the chart cut their start off at the SVG's left edge (ending
    the label at 40 characters) and the table ran off the page; labels now end in the op, whole on hover."""
    from edgeq.analysis.debug_report import render_html
    from edgeq.analysis.layer_errors import DebugReport, LayerError
    from edgeq.profiling.reporting.screenshot import layout_check

    names = ["model/face_landmark/conv2d_21/BiasAdd;model/face_landmark/depthwise_conv2d_20/depthwise",
             "encoder/layer_3/attention/self/query/MatMul;encoder/layer_3/attention/self/query/BiasAdd",
             "W" * 40, "conv1"]
    rep = DebugReport(layers=[LayerError(n, "CONV_2D", n + ":0", 20.0 - i, 40.0, 0.3, 0.99)
                              for i, n in enumerate(names)], samples=8)
    page = tmp_path / "debug.html"
    page.write_text(render_html(rep))
    check = layout_check(page)
    assert check["overflowing"] == [] and check["clipped_text"] == [], check
    assert check["scroll_width"] <= check["viewport"], check
    # a phone (390 px): the page does not scroll sideways, the chart and the table do in their own boxes (main:
    # no viewport meta and no boxes, the page 768 px wide with the demo model's report)
    phone = layout_check(page, width=390)
    assert phone["scroll_width"] <= phone["viewport"] and phone["overflowing"] == [], phone
    assert phone["clipped_text"] == [] and len(phone["scrolling_boxes"]) == 2, phone
    text = page.read_text()
    assert re.search(r">…[^<]*/self/query/BiasAdd</text>", text) and re.search(r">…W+</text>", text)
    assert all(f"<title>{n}</title>" in text for n in names)
    assert ">conv1</text>" in text


def test_equalized_pairs_are_compared_with_the_equalized_float_model(tmp_path):
    """edgeq convert equalizes conv pairs by default: the tensor between the two convs is scaled per channel,
    exactly in float. edgeq debug compared it with the float model as given and blamed the first conv of the
    pair for the scaling (on MobileNetV2, 22.8 dB lost and 4.8 steps RMS at expanded_conv_project)."""
    import keras
    import tensorflow as tf
    import edgeq

    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 8, 3), name="img")
    x = keras.layers.Conv2D(8, 3, padding="same", name="first")(inp)  # no activation: an equalizable pair
    x = keras.layers.Conv2D(8, 1, activation="relu", name="second")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(4, name="head")(x)
    m = keras.Model(inp, out)
    w, b = m.get_layer("first").get_weights()
    w *= np.logspace(-1.5, 1.5, 8, dtype=np.float32)  # output channel ranges 1000x apart
    m.get_layer("first").set_weights([w, b])
    (tmp_path / "f.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(m).convert())
    np.save(tmp_path / "data.npy", np.concatenate([s[0] for s in _samples(4, 32)]))
    res = edgeq.convert(str(tmp_path / "f.tflite"), str(tmp_path / "data.npy"), calibration="minmax")
    assert res.report["graph_rewrites"].get("cross_layer_equalization_pairs") == 1
    res.save(tmp_path / "q.tflite")
    out = CliRunner().invoke(debug_command, [str(tmp_path / "f.tflite"), str(tmp_path / "q.tflite"),
                                             "--data", str(tmp_path / "data.npy"), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    first = next(r for r in doc["layers"] if r["layer"].startswith("first"))
    assert first["rmse_over_scale"] < 1.0 and first["cosine"] > 0.999, first
    assert any("cross-layer equalization (1 conv pairs" in n for n in doc["notes"]), doc["notes"]
    out = CliRunner().invoke(debug_command, [str(tmp_path / "f.tflite"), str(tmp_path / "q.tflite"),
                                             "--data", str(tmp_path / "data.npy"), "-o", str(tmp_path / "d.html")])
    page = (tmp_path / "d.html").read_text()
    assert out.exit_code == 0 and page.index("Note: compared with the float model after") < page.index("<svg")


def test_smoothquant_factors_are_recorded_and_debug_applies_them(tmp_path, monkeypatch):
    """The budget ladder's int16-islands rung smooths FULLY_CONNECTED inputs (SmoothQuant: the input divided per
    channel by factors from the calibration data, the weights multiplied): the FC input is a copy named
    '.../smoothed' that the float model as given lacks. The manifest keeps the factors, and edgeq debug
    applies them to the float model: every quantized op is matched and the FC reading the smoothed input has an
    input error (main: the manifest had no factors, the copy's op was unmatched, the FC's input SQNR unknown)."""
    import keras
    import tensorflow as tf
    import edgeq
    from edgeq.converter import budget
    from edgeq.converter.manifest import extract

    keras.utils.set_random_seed(5)
    inp = keras.Input((16,), name="x")
    out = keras.layers.Dense(8, name="fc2")(keras.layers.Dense(32, name="fc1")(inp))
    m = keras.Model(inp, out)
    w, b = m.get_layer("fc1").get_weights()
    w[:, 3] *= 300.0  # one outlier channel in fc2's input: smoothing divides it down
    b[3] *= 300.0
    m.get_layer("fc1").set_weights([w, b])
    (tmp_path / "f.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(m).convert())
    rng = np.random.default_rng(0)
    np.save(tmp_path / "cal.npy", rng.standard_normal((32, 16)).astype(np.float32))
    np.save(tmp_path / "ev.npy", rng.standard_normal((16, 16)).astype(np.float32))
    # the islands rung is the ladder's choice whatever its SQNR here: int8 falls short, the islands meet
    monkeypatch.setattr(budget, "RUNGS", [("int16 islands", budget.int16_islands)])
    gaps = iter([1.0])
    monkeypatch.setattr(budget.Target, "shortfall", lambda self, ev: next(gaps, -1.0))
    res = edgeq.convert(str(tmp_path / "f.tflite"), str(tmp_path / "cal.npy"), eval_data=str(tmp_path / "ev.npy"),
                        calibration="minmax", min_sqnr_db=99.0)
    assert res.report["budget"]["chosen"].startswith("int16 islands") and "1 FCs smoothed" in \
        res.report["budget"]["chosen"], res.report["budget"]["trail"]
    assert all(not k.startswith("_") for row in res.report["budget"]["trail"] for k in row)  # factors not in the trail
    res.save(tmp_path / "q.tflite")
    sm = extract((tmp_path / "q.tflite").read_bytes())["smoothing"]
    assert sm["method"] == "smoothquant" and sm["fcs"] == 1 and len(sm["scales"]) == 1, sm
    from edgeq.quantize.smooth import decode_scales
    (s,) = decode_scales(sm["scales"]).values()
    assert s.shape == (32,) and s[3] == s.max() and s[3] > 3 * np.median(s)  # the outlier channel divided most
    r = CliRunner().invoke(debug_command, [str(tmp_path / "f.tflite"), str(tmp_path / "q.tflite"),
                                           "--data", str(tmp_path / "cal.npy"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["unmatched"] == [], doc["unmatched"]
    assert any("SmoothQuant smoothing (1 FULLY_CONNECTED inputs" in n for n in doc["notes"]), doc["notes"]
    fcs = {row["tensor"]: row for row in doc["layers"] if row["op"] == "FULLY_CONNECTED"}
    # fc1's smoothed copy, in the int16 island: matched (main: unmatched, no row) and close to the float model's
    (first,) = [fcs.pop(t) for t in list(fcs) if "/fc1" in t and t.endswith("/smoothed/int16")]
    assert first["layer"].startswith("fc1") and first["cosine"] > 0.999 and first["sqnr_db"] > 30, first
    (second,) = fcs.values()  # fc2, reading it: its input error is known (main: none, listed last)
    assert second["input_sqnr_db"] is not None and second["input_sqnr_db"] > 20, second
    r = CliRunner().invoke(inspect_command, [str(tmp_path / "q.tflite")])
    assert "smoothed: 1 FULLY_CONNECTED input(s) divided per channel by SmoothQuant factors" in r.output, r.output
