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


@pytest.mark.parametrize("op,build", [
    ("MUL", lambda: om.binary("mul", (1, 4, 4, 6), (1, 4, 4, 6))),
    ("MEAN", lambda: om.mean((1, 5, 6, 7), (1, 2), True)),
])
def test_requantization_shift_of_32_or_more_is_left_to_the_runtime(op, build, tmp_path):
    # an output scale 2^31 times below what the inputs give: MultiplyByQuantizedMultiplier would shift an
    # int32 left by 32 or more (UBSan: requant.h eq_shl32 from MUL and MEAN); nothing defined to match
    fn, shapes = build()
    model = om.with_output_scale(om.convert(fn, shapes), op, 1e-14)
    dlg, rep = _report(tmp_path, model, "builtin")
    declined = [r for r in rep["rejected"] if r["op"] == op]
    assert len(declined) == 1 and "2^31" in declined[0]["reason"], rep
    rng = np.random.default_rng(5)
    xs = [rng.integers(-128, 128, s).astype(np.int8) for s in shapes]
    assert all(np.array_equal(w, g) for w, g in zip(Interpreter(model, resolver="builtin").run(xs), dlg.run(xs)))



def test_softmax_over_many_near_equal_classes_rounds_to_zero(tmp_path):
    # >= 512 classes near the row maximum make the sum of exps >= 2^28 and the final rounding shift
    # 32 or more: gemmlowp's RoundingDivideByPOT is undefined there (LiteRT 2.3's reference kernel
    # aborts; the delegate's x >> 32 answered 127 for every class). Each probability is <= 1/512,
    # so every output is -128, as LiteRT's own optimized kernel says.
    model = _softmax_model(10.0, (2, 1000))
    dlg, rep = _report(tmp_path, model, "builtin")
    assert "SOFTMAX" in {c["op"] for c in rep["claimed"]}
    x = np.zeros((2, 1000), np.int8)
    x[1, :600] = 3
    got = dlg.run([x])[0]
    assert np.array_equal(got, Interpreter(model, resolver="builtin").run([x])[0])
    assert (got == -128).all()
    # a peaked row keeps the sum small: there the reference kernel runs, and the delegate equals it
    peaked = np.full((2, 1000), -128, np.int8)
    peaked[0, 7] = peaked[1, 990] = 127
    ref = Interpreter(model, resolver="reference").run([peaked])[0]
    assert np.array_equal(ref, dlg.run([peaked])[0]) and ref[0, 7] == 127
