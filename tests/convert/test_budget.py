"""--max-accuracy-drop: the cheapest precision that keeps accuracy within budget, every rung reported."""
from __future__ import annotations

import numpy as np
import pytest

import edgeq
from edgeq.datasets import Samples
from edgeq.errors import DataError
from edgeq.runtime import Interpreter


def _eval(demo):
    with np.load(demo.test) as z:
        return Samples([z["image"][:150]], z["labels"][:150])


def test_int8_within_budget_stops_at_int8(demo):
    r = edgeq.convert(demo.keras_path, demo.calib, eval_data=_eval(demo), max_accuracy_drop=1.0)
    b = r.report["budget"]
    assert b["met"] and b["chosen"] == "int8" and len(b["trail"]) == 1
    assert r.report["model"]["fully_integer"]


def test_ladder_tries_int16_then_float_layers_only_when_allowed(demo):
    # an impossible budget (int8 must beat float by 5 points) walks the whole ladder
    r = edgeq.convert(demo.keras_path, demo.calib, eval_data=_eval(demo), max_accuracy_drop=-5.0)
    b = r.report["budget"]
    steps = [t["step"] for t in b["trail"]]
    assert steps[0] == "int8" and "int16 activations (whole model)" in steps and "skipped" in b["trail"][-1]
    islands = [t for t in b["trail"] if t["step"].startswith("int16 islands")]
    assert islands and steps.index(islands[0]["step"]) < steps.index("int16 activations (whole model)")
    assert not b["met"]
    assert r.report["model"]["fully_integer"]  # float was not allowed, so nothing float

    r2 = edgeq.convert(demo.keras_path, demo.calib, eval_data=_eval(demo), max_accuracy_drop=-5.0,
                       allow_float=["budget"])
    b2 = r2.report["budget"]
    float_steps = [t for t in b2["trail"] if t["step"].startswith("float: ")]
    assert float_steps, b2["trail"]
    # layers are added most sensitive first, one at a time
    assert all(s["step"].count(",") == i for i, s in enumerate(float_steps))
    if b2["float_layers"]:
        assert not r2.report["model"]["fully_integer"]
        assert {o["layer"] for o in r2.report["allowed_float"]} & set(b2["float_layers"])
    q = Interpreter(r2.model, resolver="reference")
    out = q.run_float([_eval(demo).inputs[0][:1]])[0]
    assert out.shape == (1, 10)


def test_budget_needs_eval_data(demo):
    with pytest.raises(DataError, match="needs --eval-data"):
        edgeq.convert(demo.keras_path, demo.calib, max_accuracy_drop=1.0)


def test_sqnr_floor_on_class_scores_only_is_refused_not_met(tiny):
    """--min-sqnr judges outputs that are not class scores: on a model whose only output is a softmax it would be
    'met' by any model (it was reported met at 40 dB with the output at 36 dB), so it is one clear error."""
    calib = np.load(tiny.calib)
    with pytest.raises(DataError, match=r"--min-sqnr judges outputs that are not class scores.*'head'.*"
                                        r"--max-accuracy-drop"):
        edgeq.convert(tiny.keras, Samples([calib[:20]]), eval_data=Samples([calib[20:]]), min_sqnr_db=99.0)
