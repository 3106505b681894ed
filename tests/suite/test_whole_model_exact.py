"""Whole suite models on the CPU delegate equal LiteRT's BUILTIN_REF bit for bit, on outputs that can differ.

The keras.applications nets carry random weights: their 1000-class SOFTMAX gives -128 for every class
on any input, so equal model outputs prove nothing, and LiteRT's reference SOFTMAX aborts on the tiny
input scale anyway. Here the trailing SOFTMAX is cut off (edgeq/suite/informative.py) and the compared
outputs are the logits, the features they come from and, where those collapse to one value (the
MobileNets at small sizes), the deepest tensor that still has MIN_DISTINCT values. Unlike the op-by-op
check (test_opcheck.py) this runs each model as one delegated graph, fusions included. Test sizes
(32x32) and the cache entries test_suite_models.py builds.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgeq import suite
from edgeq.runtime import Interpreter
from edgeq.suite.informative import MIN_DISTINCT, deepest_informative, spread, without_softmax

KERAS = suite.names("keras.applications")


def _compare(name: str, mode: str = "exact") -> tuple[list[dict], list[bool], list[str]]:
    m = suite.get(name, 32, "tf-int8", samples=2)
    base, _ = without_softmax(m.bytes)
    spec = Interpreter(base, resolver="builtin").inputs[0]
    xs = [[spec.quantize(m.inputs(1, seed=s)[0])] for s in (1, 2)]
    deep = deepest_informative(m.bytes, xs[0])
    model, what = without_softmax(m.bytes, extra=[deep] if deep is not None else [])
    ref = Interpreter(model, resolver="reference")
    dlg = Interpreter(model, resolver="builtin", delegates=["cpu"], delegate_options={"num_threads": 2, "mode": mode})
    spreads, equal = [], []
    for x in xs:
        want, got = ref.run(x), dlg.run(x)
        spreads += [spread(w, s.zero_point) for w, s in zip(want, ref.outputs)]
        equal += [bool(np.array_equal(w, g)) for w, g in zip(want, got)]
    return spreads, equal, what


@pytest.mark.parametrize("name", KERAS)
def test_whole_model_equals_builtin_ref_on_informative_outputs(name):
    spreads, equal, what = _compare(name)
    assert any(s["distinct"] >= MIN_DISTINCT for s in spreads), (what, spreads)  # the check can fail
    assert all(equal), [w for w, e in zip(what * 2, equal) if not e]


@pytest.mark.parametrize("name", KERAS)
def test_a_one_step_rounding_difference_fails_it(name):
    # mode=fast rounds requantization once in fp32 (the same on every CPU): +-1 on some conv outputs.
    # The softmax output of these models is -128 everywhere on both paths; the compared outputs are not.
    spreads, equal, what = _compare(name, mode="fast")
    assert not all(equal), (what, spreads)
