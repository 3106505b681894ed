"""Conformance: every model of the suite converts (fully integer, or fails with one line naming the
custom op that stops it) and keeps its stated fidelity against the float model on realistic inputs.

Inputs: mediapipe models get crops of scikit-learn's two sample photos (a temple, a flower) in the
value range each model's graph feeds it; keras.applications nets (random weights) seeded photo-like
images; MiniLM token windows of English sentences. Small sizes, 8 calibration and 4 evaluation
samples; the same cases at full size with TensorFlow's converter alongside are
benchmarks/bench_conformance.py.
"""
from __future__ import annotations

import pytest

from edgeq.suite.conformance import CASES, run_case

from _suite_fetch import fetched


def test_custom_ops_not_allowed_float_are_named_in_one_line():
    import edgeq
    from edgeq.datasets import Samples
    from edgeq.errors import NotIntegerError
    from edgeq.suite import registry

    sp = registry.spec("mp_face_landmark_with_attention")
    path = fetched(registry.mediapipe_file, "face_landmark_with_attention")
    with pytest.raises(NotIntegerError) as e:
        edgeq.convert(str(path), Samples(sp.inputs(2, None, 0), source="photos"))
    first = str(e.value).splitlines()[0]
    assert "--allow-float Landmarks2TransformMatrix,TransformLandmarks,TransformTensorBilinear" in first
    assert "CUSTOM:Landmarks2TransformMatrix in layer " in str(e.value) and "(op #" in str(e.value)


@pytest.mark.parametrize("name", list(CASES))
def test_model_converts_and_keeps_its_fidelity(name):
    case = CASES[name]
    ladder = case.ladder_sqnr_db if case.ladder_in_test else None
    row = fetched(lambda: run_case(name, case.test_size, calib_samples=8, eval_samples=4, ladder_sqnr_db=ladder,
                                   tf=False))
    if case.expect_error:
        assert not row["converts"]
        assert case.expect_error in row["error"] and "\n" not in row["error"]
        return
    assert row["converts"], row.get("error")
    if case.allow_float:  # only the named custom ops and the QUANTIZE/DEQUANTIZE at their borders stay float
        assert not row["fully_integer"]
        assert set(row["float_ops"]) == {f"CUSTOM:{c}" for c in case.allow_float} | {"QUANTIZE", "DEQUANTIZE"}
    else:
        assert row["fully_integer"], row["float_ops"]
    outs = row["edgeq"]["outputs"]
    if case.floor_db is not None:
        worst = min(o["sqnr_db"] for o in outs)
        assert worst >= case.floor_db, [(o["name"], round(o["sqnr_db"], 1)) for o in outs]
    if case.max_abs_error is not None:
        assert max(o["max_abs_error"] for o in outs) <= case.max_abs_error, outs
    if ladder is not None:
        lad = row["edgeq_ladder"]
        assert lad["fully_integer"] and lad["size_vs_int8"] <= 1.5, lad["chosen"]
        # the ladder never settles for worse than int8 on its own measure, the weakest output
        assert min(o["sqnr_db"] for o in lad["outputs"]) >= min(o["sqnr_db"] for o in outs) - 0.5
        steps = [t["step"] for t in lad["trail"]]
        assert steps[0] == "int8" and any(s.startswith("int16 islands") for s in steps), steps
        if case.min_cosine is not None:
            cos = min(o["cosine_mean"] for o in lad["outputs"] if o.get("kind") != "class")
            assert lad["met"] and cos >= case.min_cosine, (lad["chosen"], cos)
