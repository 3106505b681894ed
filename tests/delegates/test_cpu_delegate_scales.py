"""Extreme quantization scales: the CPU delegate is exact where LiteRT's reference kernel has a
defined result, and leaves the node to the runtime (with the reason in its claim report) where the
reference kernel aborts or would shift out of range, so such a model still gives the runtime's answer."""
from __future__ import annotations

import json

import numpy as np
import pytest

import _opmodels as om
from edgeq.runtime import Interpreter


def _softmax_model(input_scale: float, shape=(4, 10)) -> bytes:
    # softmax(1.5 x): the MUL's output (the SOFTMAX input) gets a scale of about 0.4 * input_scale
    fn, shapes = om.unary("softmax", shape)
    return om.convert(fn, shapes, scale=input_scale)


def _report(tmp_path, model: bytes, resolver: str) -> tuple[Interpreter, dict]:
    path = tmp_path / "claim.json"
    it = Interpreter(model, resolver=resolver, delegates=["cpu"], delegate_options={"report_path": str(path)})
    return it, json.loads(path.read_text())


@pytest.mark.parametrize("scale,shape", [(1e-7, (4, 10)), (3e-7, (2, 1000))])
def test_softmax_with_tiny_input_scale_is_left_to_the_runtime(scale, shape, tmp_path):
    # beta * scale * 2^26 <= 1: BUILTIN_REF aborts (QuantizeMultiplierGreaterThanOne); the delegate
    # used to shift by a negative amount and answer 127 (or -128) for every class
    model = _softmax_model(scale, shape)
    dlg, rep = _report(tmp_path, model, "builtin")
    declined = [r for r in rep["rejected"] if r["op"] == "SOFTMAX"]
    assert len(declined) == 1 and "2^-26" in declined[0]["reason"], rep["rejected"]
    assert [c["op"] for c in rep["claimed"]] == ["MUL"]
    x = np.random.default_rng(3).integers(-128, 128, shape).astype(np.int8)
    want = Interpreter(model, resolver="builtin").run([x])[0]
    got = dlg.run([x])[0]
    assert np.array_equal(want, got)
    # near-uniform probabilities: 1/N of 256 steps above -128, never 127 everywhere
    assert abs(int(np.median(got)) + 128 - 256 / shape[1]) <= 1


def test_softmax_just_above_the_reference_limit_is_claimed_and_exact(tmp_path):
    model = _softmax_model(1e-6)  # SOFTMAX input scale ~4e-8: beta * scale * 2^26 ~ 2.7
    dlg, rep = _report(tmp_path, model, "reference")
    assert sorted(c["op"] for c in rep["claimed"]) == ["MUL", "SOFTMAX"]
    ref = Interpreter(model, resolver="reference")
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.integers(-128, 128, (4, 10)).astype(np.int8)
        assert np.array_equal(ref.run([x])[0], dlg.run([x])[0])
