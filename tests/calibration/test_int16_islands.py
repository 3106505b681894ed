"""int16 islands in an int8 model: written by edgeq, run by stock LiteRT, closer to float where int8 is short."""
from __future__ import annotations

import numpy as np
import pytest

from edgeq.analysis.evaluate import sqnr_db
from edgeq.model_source import from_keras_model
from edgeq.options import ConvertOptions
from edgeq.quantize.graph_rewrites import INT16_REWRITES, apply_rewrites
from edgeq.quantize.int16_islands import GEMM_OPS, build_islands, int8_fit, plan
from edgeq.quantize.stage import quantize_stage
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model, tensor_name, tensor_type_names


@pytest.fixture(scope="module")
def block():
    """A post-LayerNorm transformer-style MLP block whose residual stream carries one 40x channel
    (as trained encoders do), so int8 loses the small channels; float, int8 and 16x8 models."""
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 32), batch_size=1, name="tokens")
    x = keras.layers.LayerNormalization(name="ln0")(inp)
    up = keras.layers.Dense(96, activation="gelu", name="up")(x)
    down = keras.layers.Dense(32, name="down")(up)
    x = keras.layers.LayerNormalization(name="ln1")(keras.layers.Add(name="res")([x, down]))
    out = keras.layers.Dense(16, name="head")(x)
    m = keras.Model(inp, out)
    w, b = m.get_layer("down").get_weights()
    w[:, 3] *= 40.0
    b[3] = 40.0
    m.get_layer("down").set_weights([w, b])
    src = from_keras_model(m)
    rng = np.random.default_rng(0)
    calib = [[rng.standard_normal((1, 8, 32)).astype(np.float32)] for _ in range(24)]
    ev = [[rng.standard_normal((1, 8, 32)).astype(np.float32)] for _ in range(8)]
    rewritten, _ = apply_rewrites(src.tflite, INT16_REWRITES)
    q8 = quantize_stage(rewritten, calib, ConvertOptions())
    q16 = quantize_stage(src.tflite, calib, ConvertOptions(activations="int16"))
    return src.tflite, q8, q16, calib, ev


def _outputs(model: bytes, ev, resolver="reference") -> np.ndarray:
    it = Interpreter(model, resolver=resolver)
    return np.concatenate([it.run_float(x)[0] for x in ev])


def test_islands_load_on_stock_kernels_with_int8_io_and_typed_borders(block):
    fm, q8, q16, calib, ev = block
    fits = int8_fit(q8.float_model, q8.model, calib[:4])
    r = build_islands(q8.model, q16.model, plan(fits, 0.0))
    assert r.int16_ops and not r.refused and r.quantize_ops > 0
    m = read_model(r.model)
    sg = m.subgraphs[0]
    types = tensor_type_names()
    io = [types[sg.tensors[i].type] for i in list(sg.inputs) + list(sg.outputs)]
    assert io == ["int8", "int8"]
    island = set(r.int16_ops)
    for op in sg.operators:
        name = op_name(m, op)
        ins = [types[sg.tensors[i].type] for i in op.inputs if i >= 0]
        outs = [types[sg.tensors[i].type] for i in op.outputs]
        if name == "QUANTIZE":  # only the int8<->int16 conversions of the island borders
            assert (ins[0], outs[0]) in {("int8", "int16"), ("int16", "int8"), ("int16", "int16")}, (ins, outs)
        elif name in GEMM_OPS:  # threshold 0: every GEMM stays int8
            assert ins[0] == outs[0] == "int8"
        else:
            out_name = tensor_name(sg.tensors[int(op.outputs[0])])
            assert out_name.endswith("/int16") and out_name[:-len("/int16")] in island and outs[0] == "int16"
    for resolver in ("builtin", "reference"):
        Interpreter(r.model, resolver=resolver)


def test_islands_bring_the_model_towards_float_and_all_ops_reach_the_16x8_model(block):
    fm, q8, q16, calib, ev = block
    ref = _outputs(fm, ev, "builtin")
    fits = int8_fit(q8.float_model, q8.model, calib[:4])
    assert fits == sorted(fits, key=lambda f: f.int8_db)
    some = build_islands(q8.model, q16.model, plan(fits, 0.0))
    every = build_islands(q8.model, q16.model, plan(fits, float("inf")))
    assert set(some.int16_ops) < set(every.int16_ops)
    s8, s_some, s_all = (sqnr_db(ref, _outputs(m, ev)) for m in (q8.model, some.model, every.model))
    s16 = sqnr_db(ref, _outputs(q16.model, ev))
    assert s_some > s8 + 3, (s8, s_some)
    assert s_all > s_some and s_all > s16 - 3, (s_some, s_all, s16)
    # an island adds QUANTIZE ops and int64 biases, not a second copy of the weights
    from edgeq.analysis.model_info import summarize

    w8, wi = summarize(q8.model)["weight_bytes_by_type"], summarize(every.model)["weight_bytes_by_type"]
    assert wi["int8"] <= w8["int8"] and len(every.model) < 1.1 * len(q16.model)


def test_an_empty_island_is_the_int8_model(block):
    fm, q8, q16, calib, ev = block
    r = build_islands(q8.model, q16.model, [])
    assert r.model == q8.model and r.int16_ops == []

