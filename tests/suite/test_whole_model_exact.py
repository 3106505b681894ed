"""Whole suite models on the CPU delegate equal LiteRT's BUILTIN_REF bit for bit, on outputs that can differ.

The keras.applications nets carry random weights: their 1000-class SOFTMAX gives -128 for every class
on any input, so equal model outputs prove nothing, and LiteRT's reference SOFTMAX aborts on the tiny
input scale anyway. Here the trailing SOFTMAX is cut off (edgeq/suite/informative.py) and the compared
outputs are the logits, the features they come from and, where those collapse to one value (the
MobileNets at small sizes), the deepest tensor that still has MIN_DISTINCT values; models without a final
SOFTMAX are compared on their own outputs. Unlike the op-by-op
check (test_opcheck.py) this runs each model as one delegated graph, fusions included. Test sizes
(32x32) and the cache entries test_suite_models.py builds.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgeq import suite
from edgeq.runtime import Interpreter
from edgeq.suite.informative import deepest_informative, spread, without_softmax

from _suite_fetch import fetched

KERAS = suite.names("keras.applications")
# (name, size, variant) beyond TensorFlow's conversions of the keras nets: edgeq's converter, the
# dynamic-batch shape chain, the encoder (no SOFTMAX at the end: its own output is compared), the MLPs
# (10 logits: informative from 5 distinct values), a mediapipe model with trained weights
OTHERS = [("mobilenet_v2", 32, "int8"), ("mobilenet_v3_small", 32, "tf-int8-dynbatch"), ("encoder_l6", 8, "int8"),
          ("mlp", 64, "int8"), ("mlp", 64, "int4"), ("mp_iris_landmark", None, "int8")]


def _compare(name: str, size: int | None = 32, variant: str = "tf-int8",
             mode: str = "exact") -> tuple[list[dict], list[bool], list[str]]:
    m = fetched(lambda: suite.get(name, size, variant, samples=2))
    base, _ = without_softmax(m.bytes)
    specs = Interpreter(base, resolver="builtin").inputs
    xs = [[sp.quantize(np.asarray(x).reshape(sp.shape)) for sp, x in zip(specs, m.inputs(1, seed=s))] for s in (1, 2)]
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


CASES = [(n, 32, "tf-int8") for n in KERAS] + OTHERS


@pytest.mark.parametrize("name,size,variant", CASES, ids=[f"{n}-{v}" for n, _, v in CASES])
def test_whole_model_equals_builtin_ref_on_informative_outputs(name, size, variant):
    spreads, equal, what = _compare(name, size, variant)
    assert any(not s["degenerate"] for s in spreads), (what, spreads)  # the check can fail
    assert all(equal), [w for w, e in zip(what * 2, equal) if not e]


@pytest.mark.parametrize("name", KERAS)
def test_a_one_step_rounding_difference_fails_it(name):
    # mode=fast rounds requantization once in fp32 (the same on every CPU): +-1 on some conv outputs.
    # The softmax output of these models is -128 everywhere on both paths; the compared outputs are not.
    spreads, equal, what = _compare(name, mode="fast")
    assert not all(equal), (what, spreads)
