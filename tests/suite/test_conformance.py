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
