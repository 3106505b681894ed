"""calibration "auto" keeps TensorFlow's recipe (min/max, no equalization) unless a method beats it
sample by sample on the held-out calibration samples (a one-sided sign test at 5%).

A lead in the pooled score that some held-out samples contradict is within what other inputs disagree
by, so auto then gives exactly the model TensorFlow's recipe gives.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from edgeq.options import ConvertOptions
from edgeq.quantize.graph_rewrites import apply_rewrites
from edgeq.quantize.stage import AUTO_MIN_HELD_OUT, AUTO_REFERENCE, AUTO_SIGN_P, auto_keeps_best, quantize_stage, sign_test_p
from edgeq.quantize.tf_bridge import calibrate, mlir_quantize

from test_calibration_apply import _samples as outlier_samples, outlier_model
from test_calibration_equalize import _samples as pair_samples, conv_pair_model


def test_sign_test():
    assert sign_test_p([1.0] * 7 + [-1.0]) == pytest.approx(9 / 256)  # 7 of 8 ahead: kept
    six = sign_test_p([1.0] * 6 + [-1.0] * 2)  # 6 of 8: not
    assert six == pytest.approx(37 / 256) and six > AUTO_SIGN_P >= 9 / 256
    assert sign_test_p([11.3] + [-0.1] * 7) == pytest.approx(255 / 256)  # one big lead is one sample
    assert sign_test_p([0.0, 0.0, 2.0, 1.0, 3.0]) == pytest.approx(1 / 8)  # ties count for neither side
    assert sign_test_p([0.0] * 8) == 1.0
    # the best method stands when it is ahead by the test, or when no sample tells the two apart
    assert auto_keeps_best([1.0] * 7 + [-1.0]) and not auto_keeps_best([1.0] * 6 + [-1.0] * 2)
    assert auto_keeps_best([0.0] * 8) and not auto_keeps_best([0.0] * 7 + [1.0])


def test_an_inconsistent_lead_keeps_tensorflows_recipe_bit_for_bit():
    fb = conv_pair_model(factor=1.0)  # an ordinary conv pair: equalization applies, no method stands out
    cal = pair_samples(0, 32)
    got = quantize_stage(fb, cal, ConvertOptions())
    test = got.calibrated.auto_test
    assert AUTO_REFERENCE in got.calibrated.auto_scores and test["ahead"] + test["behind"] <= AUTO_MIN_HELD_OUT
    assert test["p"] > AUTO_SIGN_P, (test, got.calibrated.auto_scores)
    assert got.calibrated.calibration == "minmax" and got.calibrated.ranges is None
    assert "cross_layer_equalization_pairs" not in got.calibrated.graph_rewrites
    plain, _ = apply_rewrites(fb)
    assert got.model == mlir_quantize(calibrate(plain, cal), io="int8")
    # the same model with equalization asked for by hand is another model: the recipe was a choice
    eq = quantize_stage(fb, cal, ConvertOptions(calibration="minmax"))
    assert eq.calibrated.graph_rewrites.get("cross_layer_equalization_pairs") == 1 and eq.model != got.model
    # under AUTO_MIN_HELD_OUT held-out samples there is no test: the best method stands
    few = quantize_stage(fb, cal[:4 * AUTO_MIN_HELD_OUT - 4], ConvertOptions()).calibrated
    assert AUTO_REFERENCE not in few.auto_scores and few.auto_test is None
    assert few.graph_rewrites == {"cross_layer_equalization_pairs": 1}
    assert few.calibration == max(few.auto_scores, key=few.auto_scores.get), few.auto_scores


def test_a_consistent_lead_keeps_the_better_method():
    fb = outlier_model()  # rare 20x spikes: min/max spends int8's range on them, every sample pays
    got = quantize_stage(fb, outlier_samples(0, 64), ConvertOptions())
    test, scores = got.calibrated.auto_test, got.calibrated.auto_scores
    assert got.calibrated.calibration in ("mse", "percentile") and test["best"] == got.calibrated.calibration, scores
    assert test["p"] <= AUTO_SIGN_P and scores[test["best"]] > scores[AUTO_REFERENCE], (test, scores)
