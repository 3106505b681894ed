"""The quantize stage: one calibration reused gives the same bytes, keep_float keeps ops float, options are honoured."""
from __future__ import annotations

import numpy as np
import pytest

from edgeq.analysis.model_info import summarize
from edgeq.options import ConvertOptions
from edgeq.quantize.stage import calibrate_stage, quantize_stage
from edgeq.tflite_schema import read_model, tensor_name


@pytest.fixture(scope="module")
def tiny_model(tiny):
    x = np.load(tiny.calib)[:12]
    return tiny.float_tflite.read_bytes(), [[x[i:i + 1]] for i in range(len(x))]


def test_reused_calibration_gives_the_same_model(tiny_model):
    fb, cal = tiny_model
    opts = ConvertOptions(calibration="entropy", bias_correction=True)
    fresh = quantize_stage(fb, cal, opts)
    calibrated = calibrate_stage(fb, cal, opts)
    again = quantize_stage(calibrated, cal, opts)
    assert again.model == fresh.model and again.bias_corrected == fresh.bias_corrected
    assert calibrated.calibration == "entropy" and calibrated.ranges >= 4
    # a generator is read as often as the steps need it
    assert quantize_stage(fb, (s for s in cal), opts).model == fresh.model
    with pytest.raises(ValueError, match="calibration"):
        quantize_stage(calibrated, cal, opts.replace(calibration="mse"))


def test_keep_float_leaves_those_ops_float(tiny_model):
    fb, cal = tiny_model
    opts = ConvertOptions(io="float", equalize=False)
    sg = read_model(fb).subgraphs[0]
    conv_out = next(tensor_name(sg.tensors[op.outputs[0]]) for op in sg.operators
                    if "conv" in tensor_name(sg.tensors[op.outputs[0]]).lower())
    whole = summarize(quantize_stage(fb, cal, opts).model, io="float")
    part = summarize(quantize_stage(fb, cal, opts, keep_float=[conv_out]).model, io="float")
    assert [o["op"] for o in whole["non_integer_ops"]] == []
    float_ops = {o["op"] for o in part["non_integer_ops"]}
    assert "CONV_2D" in float_ops and "DEPTHWISE_CONV_2D" not in float_ops, part["non_integer_ops"]


def test_int16_activations_take_the_16x8_path(tiny_model):
    fb, cal = tiny_model
    result = quantize_stage(fb, cal, ConvertOptions(activations="int16"))
    assert result.io == "int16" and result.calibrated.calibration == "minmax" and result.calibrated.model is None
    info = summarize(result.model, io="int16")
    assert info["inputs"][0]["type"] == "int16"
    assert {t for o in info["ops"] for t in o["outputs"]} == {"int16"}


def test_calibration_progress_stays_off_logs(tiny_model, capsys):
    """Progress bars are for terminals: with stderr a file or pipe (CI logs, edgeq convert ... 2> log) the
    statistics pass prints none (it wrote 'calibrating: 0sample [00:00, ...' lines into logs)."""
    from edgeq.quantize.calibration.observers import collect_statistics

    fb, cal = tiny_model
    stats, _ = collect_statistics(fb, cal, progress=True)
    assert stats and "calibrating" not in capsys.readouterr().err
