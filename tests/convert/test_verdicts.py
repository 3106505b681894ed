"""Each output judged in its own terms: class scores by top-1, everything else by SQNR and error in its units;
poor outputs warned about with the next rung; normalization called a default unless the model says."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import edgeq
from edgeq.analysis.evaluate import WARN_SQNR_DB, add_verdicts, output_kinds
from edgeq.datasets import Samples
from edgeq.report import format_conversion
from edgeq.runtime import Interpreter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "suite"))
from _suite_fetch import fetched  # noqa: E402


def _eval(outputs):
    return {"samples": 4, "runtime": {"runtime": "x", "version": "0"}, "outputs": outputs}


def test_class_outputs_are_judged_by_top1_and_values_by_sqnr():
    ev = _eval([
        {"name": "probs", "kind": "class", "sqnr_db": 3.0, "top1_agreement": 1.0},
        {"name": "coords", "kind": "values", "sqnr_db": 12.0, "mean_abs_error": 2.0, "value_range": [0.0, 200.0]},
        {"name": "mask", "kind": "values", "sqnr_db": 31.0, "mean_abs_error": 0.01, "value_range": [0.0, 1.0]},
    ])
    warnings = add_verdicts(ev, "try X")
    # a low SQNR on class scores is no warning when the answers agree; the coordinates are poor
    assert [o["verdict"]["ok"] for o in ev["outputs"]] == [True, False, True]
    assert ev["outputs"][0]["verdict"]["metric"] == "top1_agreement"
    assert len(warnings) == 1 and "'coords'" in warnings[0] and "1.0% of its range" in warnings[0]
    assert warnings[0].endswith("try try X") and ev["outputs"][1]["verdict"]["threshold"] == WARN_SQNR_DB
    assert add_verdicts(ev, "Y", min_sqnr_db=10.0) == []  # a floor the user sets replaces the default


def test_kinds_come_from_the_graph(tiny):
    from edgeq.model_source import load_model
    from edgeq.suite.registry import mediapipe_file

    assert output_kinds(load_model(tiny.float_tflite).tflite) == ["class"]  # Dense + softmax
    hand = load_model(fetched(mediapipe_file, "hand_landmark_lite")).tflite
    assert output_kinds(hand) == ["values"] * 4  # landmarks and scores: no softmax


def test_poor_regression_output_is_warned_with_its_error_in_pixels():
    from edgeq.suite import data
    from edgeq.suite.registry import mediapipe_file

    path = fetched(mediapipe_file, "pose_landmark_full")
    x = data.photo_crops(10, 256, 256, (0, 1), 0)
    r = edgeq.convert(str(path), Samples([x[:6]]), eval_data=Samples([x[6:]]))
    outs = r.report["evaluation"]["outputs"]
    assert all("top1_agreement" not in o for o in outs)  # landmarks are not classes
    coords = outs[0]
    assert coords["kind"] == "values" and coords["mean_abs_error"] > 0 and coords["value_range"][1] > 100
    assert r.report["warnings"] and any("--min-sqnr" in w for w in r.report["warnings"])
    text = format_conversion(r.report)
    assert "WARNING: output" in text and "POOR" in text and "% of its" in text


def test_image_normalization_is_called_a_default_unless_the_model_says(tiny, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    (tmp_path / "imgs").mkdir()
    for i in range(4):
        Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(tmp_path / "imgs" / f"{i}.png")
    r = edgeq.convert(tiny.keras, tmp_path / "imgs")
    read_as = r.report["calibration"]["read_as"]
    assert "normalize" not in read_as["inferred"] and read_as["defaulted"] == ["normalize"]
    text = format_conversion(r.report)
    assert "edgeq's default, the model does not say" in text and "inferred from the model: size" in text


def test_an_output_constant_on_the_data_is_not_judged(tiny):
    """selfie segmentation on noise: the float mask spans 0..4e-27, under one int8 step; the report said 'SQNR
    0.0 dB, mean |err| 8.34e-11 = 2.1e+18% of its range  POOR'. Such an output is called unjudgeable, with why."""
    from edgeq.report import evaluation_lines

    ev = _eval([{"name": "mask", "kind": "values", "sqnr_db": 0.0, "mean_abs_error": 8.34e-11, "p99_abs_error": 2e-30,
                 "value_range": [0.0, 4e-27], "step": 1 / 256, "cosine_mean": 0.0, "cosine_min": 0.0},
                {"name": "score", "kind": "values", "sqnr_db": 9.0, "mean_abs_error": 0.2, "p99_abs_error": 0.5,
                 "value_range": [0.0, 1.0], "step": 1 / 256, "cosine_mean": 0.9, "cosine_min": 0.8}])
    warnings = add_verdicts(ev, "try X")
    assert ev["outputs"][0]["verdict"]["ok"] is None and ev["outputs"][1]["verdict"]["ok"] is False
    assert "'mask' cannot be judged on this data" in warnings[0] and "less than one step" in warnings[0]
    assert "try X" not in warnings[0] and "'score' is poor" in warnings[1]
    text = "\n".join(evaluation_lines(ev))
    assert "% of its 0..4e-27 range" not in text and "mask: " in text and "not judged (constant on this data)" in text
    # compare records the integer output's step, in the output's units
    calib = np.load(tiny.calib)
    r = edgeq.convert(tiny.keras, Samples([calib[:20]]), eval_data=Samples([calib[20:]]))
    out = r.report["evaluation"]["outputs"][0]
    assert out["step"] == Interpreter(r.model).outputs[0].scale > 0
