"""The three architectures edgeq must convert: each converts fully integer and stays close to float."""
from __future__ import annotations

import numpy as np
import pytest

import edgeq
from edgeq import zoo
from edgeq.datasets import Samples
from edgeq.runtime import Interpreter

CASES = {
    "mobilenet_style": (zoo.mobilenet_style, lambda n, s: zoo.synthetic_images(n, seed=s),
                        {"DEPTHWISE_CONV_2D", "HARD_SWISH", "MEAN", "MUL", "LOGISTIC"}),
    "residual": (zoo.residual, lambda n, s: zoo.synthetic_images(n, seed=s), {"ADD", "CONCATENATION"}),
    "attention": (zoo.attention, lambda n, s: zoo.synthetic_tokens(n, seed=s),
                  {"BATCH_MATMUL", "SOFTMAX", "RSQRT", "SQUARED_DIFFERENCE"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_architecture_converts_fully_integer(name):
    build, data, must_have = CASES[name]
    x, y = data(160, 0)
    model = zoo.train_briefly(build(), x[:120], y[:120], epochs=2)
    xe, ye = data(60, 1)
    r = edgeq.convert(model, Samples([x[:100]]), eval_data=Samples([xe], ye))
    info = r.report["model"]
    assert info["fully_integer"], info["non_integer_ops"]
    assert must_have <= set(info["op_counts"]), info["op_counts"]
    ev = r.report["evaluation"]["outputs"][0]
    # briefly trained nets give near-uniform scores, so top-1 agreement means little here;
    # the output SQNR measures how closely the integer model follows the float one
    assert ev["sqnr_db"] > 20, ev
    # the integer model runs on the reference kernels too (stock LiteRT)
    q = Interpreter(r.model, resolver="reference")
    out = q.run([q.inputs[0].quantize(xe[:1])])[0]
    assert out.dtype == np.int8


def test_layernorm_rewrite_is_exact_and_reported():
    from edgeq.quantize.graph_rewrites import apply_rewrites
    from edgeq.model_source import from_keras_model

    fm = from_keras_model(zoo.attention())
    new, counts = apply_rewrites(fm.tflite)
    assert counts == {"neg_to_mul": 2}  # one NEG per LayerNormalization
    x, _ = zoo.synthetic_tokens(4, seed=3)
    a, b = Interpreter(fm.tflite), Interpreter(new)
    for i in range(4):
        np.testing.assert_array_equal(a.run([x[i:i + 1]])[0], b.run([x[i:i + 1]])[0])
