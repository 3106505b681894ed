"""Op-by-op exactness on real models: every node the CPU delegate claims, cut out of the model with its
real tensors, quantization and constants, fed the activations the model gives it on realistic inputs,
equals LiteRT's BUILTIN_REF bit for bit (edgeq/suite/opcheck.py). Small sizes already built by the other
suite tests; the whole suite at benchmark sizes is benchmarks/opcheck_suite.py."""
from __future__ import annotations

import pytest

from edgeq import suite
from edgeq.suite.opcheck import check_model

from _suite_fetch import fetched

# (name, size, variant, ops that must be among the checked nodes)
MODELS = [
    ("efficientnet_b0", 32, "tf-int8", {"CONV_2D", "DEPTHWISE_CONV_2D", "LOGISTIC", "MUL", "MEAN", "ADD"}),
    ("mobilenet_v3_small", 32, "tf-int8-dynbatch", {"HARD_SWISH", "MEAN", "MUL"}),
    ("encoder_l6", 8, "int8", {"FULLY_CONNECTED", "SOFTMAX", "MEAN", "MUL"}),
    ("mp_iris_landmark", None, "int8", {"PRELU", "MAX_POOL_2D", "PAD"}),
]


@pytest.mark.parametrize("name,size,variant,ops", MODELS, ids=[f"{m[0]}-{m[2]}" for m in MODELS])
def test_every_claimed_node_equals_builtin_ref_on_its_own(name, size, variant, ops):
    m = fetched(lambda: suite.get(name, size, variant, samples=2))
    res = check_model(m.path, suite_name=name, size=m.size)
    assert res["load"]["status"] == "ok", res["load"]
    bad = [r for r in res["nodes"] if r["status"] != "exact"]
    assert not bad, bad[:5]
    assert res["exact"] and res["claimed"] == len(res["nodes"]) > 0
    assert ops <= set(res["ops"]), res["ops"]


def test_the_harness_sees_a_one_step_difference():
    # mode=fast requantizes in fp32 (single rounding): identical on every CPU, +-1 from the reference on
    # some convolution outputs; the harness must name those nodes
    m = suite.get("mobilenet_v3_small", 32, "tf-int8-dynbatch", samples=2)
    res = check_model(m.path, suite_name="mobilenet_v3_small", size=32, mode="fast")
    differs = [r for r in res["nodes"] if r["status"] == "differs"]
    assert differs and not res["exact"]
    assert {r["op"] for r in differs} <= {"CONV_2D", "DEPTHWISE_CONV_2D"}
    assert all(r["detail"].endswith("max 1") for r in differs), differs[:3]
    assert set(res["ops"]["HARD_SWISH"]) == {"exact"}


def test_a_node_the_reference_aborts_on_is_reported_and_compared_with_builtin(tmp_path):
    # a 1000-class SOFTMAX whose rows have >= 512 classes near the maximum: LiteRT's reference kernel
    # aborts the process (rounding shift >= 32); the harness survives it, names the node, and compares
    # the delegate with the builtin kernel there instead
    import sys
    from pathlib import Path

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delegates"))
    import _opmodels as om

    fn, shapes = om.unary("softmax", (2, 1000))
    path = tmp_path / "softmax.tflite"
    path.write_bytes(om.convert(fn, shapes, scale=10.0))
    x = np.zeros((2, 1000), np.int8)
    x[1, :600] = 3
    res = check_model(path, inputs=[x])
    rows = {r["op"]: r for r in res["nodes"]}
    assert rows["MUL"]["status"] == "exact"
    assert rows["SOFTMAX"]["status"] == "reference aborts", rows["SOFTMAX"]
    assert rows["SOFTMAX"]["detail"].endswith("delegate == builtin kernel")
    assert not res["exact"] and res["no_difference"]
