"""int4 models from edgeq's transform on stock LiteRT: identical to edgeq's reference, fallbacks, GPTQ."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgeq import tflite_schema as ts
from edgeq.errors import EdgeqError
from edgeq.int4 import graph, reference
from edgeq.int4.compat import check_layer, extract_op
from edgeq.int4.packing import unpack_int4
from edgeq.int4.keras_export import keras_to_tflite
from edgeq.int4.transform import to_int4
from edgeq.runtime import Interpreter

RUNTIMES = ("ai-edge-litert", "tensorflow")


def _random_biases(model, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if len(ws) == 2:
            layer.set_weights([ws[0], (rng.normal(size=ws[1].shape) * 0.2).astype("float32")])


@pytest.fixture(scope="module")
def ops_model():
    """Conv (stride 2, SAME, relu6, 7 out), depthwise ×2 multiplier, depthwise stride 2, dense with odd sizes."""
    import keras

    keras.utils.set_random_seed(0)
    i = keras.Input((9, 9, 3))
    x = keras.layers.Conv2D(7, 3, strides=2, padding="same", activation="relu6", name="conv")(i)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw_mult")(x)
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="valid", activation="relu", name="dw_s2")(x)
    x = keras.layers.Conv2D(5, 1, name="pointwise")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(9, name="dense")(x)
    m = keras.Model(i, x)
    _random_biases(m, 1)
    rep = np.random.default_rng(0).normal(size=(32, 9, 9, 3))
    f, q8 = keras_to_tflite(m, rep)
    return f, q8, [layer.name for layer in m.layers]


@pytest.fixture(scope="module")
def ops_int4(ops_model):
    f, q8, known = ops_model
    return to_int4(q8, float_model=f, known_layers=known)


def _int4_ops(model_bytes):
    m = ts.read_model(model_bytes)
    sg = m.subgraphs[0]
    return m, [w for w in graph.weight_ops(m) if graph.type_name(sg.tensors[w.weight]) == "int4"]


def test_every_weight_layer_becomes_int4(ops_model, ops_int4):
    f, q8, _ = ops_model
    out, rep = ops_int4
    assert sorted(rep["int4_layers"]) == ["conv", "dense", "dw_mult", "dw_s2", "pointwise"]
    assert rep["kept_int8"] == []
    m, ops = _int4_ops(out)
    assert len(ops) == 5
    sg = m.subgraphs[0]
    n_int4 = 0
    for w in ops:
        wt, bt, xt = sg.tensors[w.weight], sg.tensors[w.bias], sg.tensors[w.input]
        scales, zps, axis = graph.quant(wt)
        channels = graph.shape(wt)[w.axis]
        assert axis == w.axis and scales.size == channels and not zps.any()
        n = int(np.prod(graph.shape(wt)))
        assert ts.buffer_bytes(m, wt) == (n + 1) // 2
        n_int4 += (n + 1) // 2
        # the bias scale is input_scale × weight_scale[c], as TFLite's kernels assume
        b_scales = graph.quant(bt)[0]
        assert np.array_equal(b_scales, (np.float64(graph.quant(xt)[0][0]) * scales).astype(np.float32))
        q = unpack_int4(np.asarray(m.buffers[wt.buffer].data, np.uint8).tobytes(), n)
        assert q.min() >= -8 and q.max() <= 7 and np.abs(q).max() == 7
    assert rep["weight_bytes_by_type"]["int4_model"]["int4"] == n_int4
    s = rep["sizes"]
    assert s["float_bytes"] == len(f) and s["int8_bytes"] == len(q8) and s["int4_bytes"] == len(out)
    assert s["int4_bytes"] < s["int8_bytes"] < s["float_bytes"]
    assert all(r["weights_from"] == "float model" for r in rep["layers"])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_int4_ops_identical_to_reference_on_reference_kernels(ops_int4, runtime):
    out, _ = ops_int4
    m, ops = _int4_ops(out)
    it = Interpreter(out, resolver="reference", runtime=runtime, preserve_all_tensors=True)
    rng = np.random.default_rng(5)
    for _ in range(3):
        it.run([rng.integers(-128, 128, size=it.inputs[0].shape).astype(np.int8)])
        for w in ops:
            got = it.tensor(w.output)
            want = reference.run_op(out, w.index, it.tensor(w.input)).reshape(got.shape)
            assert np.array_equal(got, want), (runtime, w.kind, w.index)


#: layer → rounding of LiteRT's x86 default path (XNNPACK, which leaves int4 conv/depthwise to the
#: builtin optimized kernels) that edgeq's reference reproduces exactly; None: see the test below
DEFAULT_PATH_ROUNDING = {"conv": None, "dw_s2": None, "dense": None, "pointwise": "half_up"}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("layer", sorted(DEFAULT_PATH_ROUNDING))
def test_int4_ops_identical_to_reference_on_default_resolver(ops_model, ops_int4, runtime, layer):
    out, rep = ops_int4
    m = ts.read_model(out)
    op_index = next(r["op_index"] for r in rep["layers"] if r["layer"] == layer)
    probe = extract_op(m, op_index)
    it = Interpreter(probe, resolver="default", runtime=runtime)
    rng = np.random.default_rng(11)
    for _ in range(20):
        x = rng.integers(-128, 128, size=it.inputs[0].shape).astype(np.int8)
        want = reference.run_op(probe, 0, x, rounding=DEFAULT_PATH_ROUNDING[layer])
        assert np.array_equal(it.run([x])[0].reshape(want.shape), want), (runtime, layer)


def test_depthwise_multiplier_on_optimized_kernels_within_one(ops_int4):
    """The optimized per-channel depthwise kernel (depth multiplier 2) rounds channel blocks of 8 half-up
    and the remaining channels like the reference: outputs differ from the reference by at most 1, as they
    do for int8; the reference kernels stay identical (test above)."""
    out, rep = ops_int4
    m = ts.read_model(out)
    op_index = next(r["op_index"] for r in rep["layers"] if r["layer"] == "dw_mult")
    checks = check_layer(m, op_index, runtimes=RUNTIMES)
    combos = {(r, s) for r in RUNTIMES for s in ("reference", "builtin", "default")}
    assert {(c.runtime, c.resolver) for c in checks} == combos
    for c in checks:
        assert c.ok, c
        if c.resolver == "reference":
            assert c.detail == "exact", c


def test_whole_int4_model_close_to_float(ops_model, ops_int4):
    f, q8, _ = ops_model
    out, _ = ops_int4
    x = np.random.default_rng(9).normal(size=(16, 9, 9, 3)).astype(np.float32)
    fl, i8, i4 = Interpreter(f), Interpreter(q8), Interpreter(out, resolver="reference")
    yf = np.concatenate([fl.run_float([v[None]])[0] for v in x])
    y8 = np.concatenate([i8.run_float([v[None]])[0] for v in x])
    y4 = np.concatenate([i4.run_float([v[None]])[0] for v in x])
    rel8 = np.linalg.norm(y8 - yf) / np.linalg.norm(yf)
    rel4 = np.linalg.norm(y4 - yf) / np.linalg.norm(yf)
    assert rel8 < rel4 < 0.35, (rel8, rel4)


def test_layer_selection_and_unknown_names(ops_model):
    f, q8, known = ops_model
    out, rep = to_int4(q8, float_model=f, layers=["pointwise", "dense"], known_layers=known)
    assert sorted(rep["int4_layers"]) == ["dense", "pointwise"]
    types = {r["layer"]: r["new_type"] for r in rep["layers"]}
    assert types == {"dense": "int4", "pointwise": "int4"}
    _, ops = _int4_ops(out)
    assert len(ops) == 2
    with pytest.raises(EdgeqError, match="no weight layer named nope.*choose from"):
        to_int4(q8, layers=["nope"], known_layers=known)


def test_without_float_model_uses_dequantized_int8(ops_model):
    _, q8, known = ops_model
    out, rep = to_int4(q8, known_layers=known, layers=["conv"])
    assert rep["layers"][0]["weights_from"] == "dequantized int8"
    assert rep["int4_layers"] == ["conv"] and rep["sizes"]["float_bytes"] is None
    Interpreter(out, resolver="reference").run([np.zeros((1, 9, 9, 3), np.int8)])


def test_gptq_needs_float_model_and_samples(ops_model):
    _, q8, _ = ops_model
    with pytest.raises(EdgeqError, match="float model and calibration samples"):
        to_int4(q8, rounding="gptq")
    with pytest.raises(EdgeqError, match="unknown rounding"):
        to_int4(q8, rounding="stochastic")


@pytest.fixture(scope="module")
def bmm_model():
    """A constant-weight BATCH_MATMUL (LiteRT has no int4 kernel for it) feeding a dense layer."""
    import keras

    keras.utils.set_random_seed(2)

    class ConstMatmul(keras.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(2, 6, 5), initializer="glorot_uniform")

        def call(self, x):
            return keras.ops.matmul(x, self.w)

    i = keras.Input((2, 4, 6))
    x = ConstMatmul(name="bmm")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(4, name="head")(x)
    m = keras.Model(i, x)
    f, q8 = keras_to_tflite(m, np.random.default_rng(0).normal(size=(32, 2, 4, 6)))
    return f, q8, [layer.name for layer in m.layers]


def test_refused_combination_falls_back_to_int8(bmm_model):
    f, q8, known = bmm_model
    out, rep = to_int4(q8, float_model=f, known_layers=known)
    by_layer = {r["layer"]: r for r in rep["layers"]}
    assert by_layer["bmm"]["op"] == "BATCH_MATMUL"
    assert by_layer["bmm"]["new_type"] == "int8"
    assert "refused" in by_layer["bmm"]["reason"] and "batch_matmul" in by_layer["bmm"]["reason"]
    assert rep["kept_int8"] == [{"layer": "bmm", "op": "BATCH_MATMUL", "reason": by_layer["bmm"]["reason"]}]
    assert by_layer["head"]["new_type"] == "int4"
    m = ts.read_model(out)
    sg = m.subgraphs[0]
    bmm = next(op for op in sg.operators if ts.op_name(m, op) == "BATCH_MATMUL")
    assert graph.type_name(sg.tensors[int(bmm.inputs[1])]) == "int8"
    x = np.random.default_rng(1).integers(-128, 128, size=(1, 2, 4, 6)).astype(np.int8)
    for runtime in RUNTIMES:
        for resolver in ("reference", "builtin", "default"):
            Interpreter(out, resolver=resolver, runtime=runtime).run([x])  # the emitted model loads everywhere
    with pytest.raises(EdgeqError, match="layer 'bmm' \\(BATCH_MATMUL\\) cannot be int4"):
        to_int4(q8, float_model=f, known_layers=known, strict=True)
    _, rep_ok = to_int4(q8, float_model=f, known_layers=known, layers=["head"], strict=True)
    assert rep_ok["int4_layers"] == ["head"]


def _correlated(n, rng, mix):
    z = rng.normal(size=(n, mix.shape[0]))
    return (z @ mix + 0.05 * rng.normal(size=(n, mix.shape[1]))).astype(np.float32)


def test_gptq_beats_nearest_on_correlated_inputs():
    """Inputs living near a low-dimensional subspace: GPTQ's error compensation must lower held-out output MSE."""
    import keras

    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    mix = rng.normal(size=(6, 48))
    i = keras.Input((48,))
    x = keras.layers.Dense(32, name="fc1")(i)
    m = keras.Model(i, x)
    cal, held = _correlated(256, rng, mix), _correlated(256, rng, mix)
    f, q8 = keras_to_tflite(m, cal)
    fl = Interpreter(f)
    yf = np.concatenate([fl.run_float([v[None]])[0] for v in held])
    mse = {}
    for rounding in ("nearest", "gptq"):
        out, rep = to_int4(q8, float_model=f, rounding=rounding, samples=cal)
        assert rep["int4_layers"] == ["fc1"]
        it = Interpreter(out, resolver="reference")
        y = np.concatenate([it.run_float([v[None]])[0] for v in held])
        mse[rounding] = float(np.mean((y - yf) ** 2))
    assert mse["gptq"] < 0.8 * mse["nearest"], mse



def test_mixed_precision_respects_budget(ops_model):
    from edgeq.int4.mixed import mixed_precision

    f, q8, known = ops_model
    x = np.random.default_rng(21).normal(size=(64, 9, 9, 3)).astype(np.float32)
    loose, rep_loose = mixed_precision(q8, f, x, min_sqnr_db=0.0, known_layers=known, show_table=False)
    assert sorted(rep_loose["int4_layers"]) == ["conv", "dense", "dw_mult", "dw_s2", "pointwise"]
    int8_sqnr, all4_sqnr = rep_loose["int8_value"], rep_loose["final_value"]
    assert all4_sqnr < int8_sqnr
    # a budget between "all int4" and int8 must pick a strict, non-empty subset that meets it
    budget = (int8_sqnr + all4_sqnr) / 2
    mid, rep = mixed_precision(q8, f, x, min_sqnr_db=budget, known_layers=known, show_table=False)
    assert 0 < len(rep["int4_layers"]) < 5, rep["pareto"]
    assert rep["final_value"] >= budget
    assert len(loose) < len(mid) < len(q8)
    it = Interpreter(mid, resolver="reference")  # what was reported is what the returned model does
    yf = Interpreter(f).run_float([x])[0]
    y = it.run_float([x])[0]
    sqnr = 10 * np.log10(np.sum(yf.astype(np.float64) ** 2) / np.sum((y - yf.astype(np.float64)) ** 2))
    assert abs(sqnr - rep["final_value"]) < 0.5
    accepted = [r for r in rep["pareto"] if r["accepted"]]
    assert all(a["bytes"] > b["bytes"] for a, b in zip(accepted, accepted[1:]))
    with pytest.raises(EdgeqError, match="int8 model alone misses the budget"):
        mixed_precision(q8, f, x, min_sqnr_db=200.0, known_layers=known, show_table=False)


def test_int4_command_writes_model_and_report(ops_model, tmp_path):
    from click.testing import CliRunner

    from edgeq.int4.cli import int4

    f, q8, _ = ops_model
    (tmp_path / "m8.tflite").write_bytes(q8)
    (tmp_path / "f.tflite").write_bytes(f)
    runner = CliRunner()
    res = runner.invoke(int4, [str(tmp_path / "m8.tflite"), "-o", str(tmp_path / "m4.tflite"), "--float-model",
                               str(tmp_path / "f.tflite"), "--layers", "conv,dense",
                               "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "INT8" in res.output and "INT4" in res.output
    import json

    rep = json.loads((tmp_path / "r.json").read_text())
    assert sorted(rep["int4_layers"]) == ["conv", "dense"]
    assert (tmp_path / "m4.tflite").read_bytes()[4:8] == b"TFL3"
    # bad input: one-line EdgeqError, and no output written
    res = runner.invoke(int4, [str(tmp_path / "m8.tflite"), "-o", str(tmp_path / "bad.tflite"),
                               "--layers", "nope"], standalone_mode=False)
    assert isinstance(res.exception, EdgeqError) and "no weight layer named nope" in str(res.exception)
    assert not (tmp_path / "bad.tflite").exists()


def test_gptq_error_compensation_alone_beats_nearest_on_same_grid():
    """Same scales for both: only GPTQ's column-wise error feedback differs, and must lower held-out output MSE."""
    from edgeq.int4 import symmetric
    from edgeq.int4.rounding import gptq_quantize

    rng = np.random.default_rng(7)
    mix = rng.normal(size=(8, 64))
    cal, held = _correlated(2000, rng, mix), _correlated(2000, rng, mix)
    w = rng.normal(size=(24, 64)).astype(np.float32)
    scales = symmetric.int4_scales(w, 0)
    q_near = symmetric.quantize_nearest(w, scales, 0)
    q_gptq = gptq_quantize(w, cal.T.astype(np.float64) @ cal, scales)
    assert q_gptq.min() >= -8 and q_gptq.max() <= 7
    assert not np.array_equal(q_gptq, q_near)

    def out_mse(q):
        return float(np.mean((held @ (q * scales[:, None]).T - held @ w.T) ** 2))

    assert out_mse(q_gptq) < 0.5 * out_mse(q_near), (out_mse(q_gptq), out_mse(q_near))


def test_not_a_model_raises_edgeq_error():
    with pytest.raises(EdgeqError, match="not a TFLite flatbuffer"):
        to_int4(b"definitely not a model")


def test_shared_bias_buffer_is_not_edited_for_other_layers():
    """Converters deduplicate equal constants (zero biases): rewriting one layer's bias must not touch another's."""
    import keras

    keras.utils.set_random_seed(6)
    i = keras.Input((6, 6, 4))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(i)  # zero biases, as initialised
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    m = keras.Model(i, x)
    f, q8 = keras_to_tflite(m, np.random.default_rng(0).normal(size=(16, 6, 6, 4)))
    m8 = ts.read_model(q8)
    ops8 = {w.kind: w for w in graph.weight_ops(m8)}
    sg8 = m8.subgraphs[0]
    b_conv, b_dw = sg8.tensors[ops8["CONV_2D"].bias], sg8.tensors[ops8["DEPTHWISE_CONV_2D"].bias]
    assert b_conv.buffer == b_dw.buffer  # the situation under test: one buffer behind both biases
    out, rep = to_int4(q8, float_model=f, layers=["conv"], known_layers=["conv", "dw"])
    assert rep["int4_layers"] == ["conv"]
    m4 = ts.read_model(out)
    sg4 = m4.subgraphs[0]
    ops4 = {w.kind: w for w in graph.weight_ops(m4)}
    dw_bias = sg4.tensors[ops4["DEPTHWISE_CONV_2D"].bias]
    assert np.array_equal(graph.quant(dw_bias)[0], graph.quant(b_dw)[0])
    assert sg4.tensors[ops4["CONV_2D"].bias].buffer != dw_bias.buffer
    it = Interpreter(out, resolver="reference", preserve_all_tensors=True)
    it.run([np.random.default_rng(2).integers(-128, 128, size=(1, 6, 6, 4)).astype(np.int8)])
    for w in ops4.values():
        got = it.tensor(w.output)
        assert np.array_equal(got, reference.run_op(out, w.index, it.tensor(w.input)).reshape(got.shape))


def test_per_tensor_int8_weights_stay_per_tensor_in_int4():
    import keras

    keras.utils.set_random_seed(8)
    i = keras.Input((7, 7, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(i)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, name="dense")(x)
    m = keras.Model(i, x)
    _random_biases(m, 3)
    cal = np.random.default_rng(0).normal(size=(32, 7, 7, 3)).astype(np.float32)
    f, q8 = keras_to_tflite(m, cal, per_tensor=True)
    for rounding in ("nearest", "gptq"):
        out, rep = to_int4(q8, float_model=f, rounding=rounding, samples=cal, known_layers=["conv", "dense"])
        assert sorted(rep["int4_layers"]) == ["conv", "dense"]
        assert all(r["granularity"] == "per-tensor" for r in rep["layers"])
        mo, ops = _int4_ops(out)
        assert len(ops) == 2
        it = Interpreter(out, resolver="reference", preserve_all_tensors=True)
        it.run([np.random.default_rng(4).integers(-128, 128, size=(1, 7, 7, 3)).astype(np.int8)])
        for w in ops:
            assert graph.quant(mo.subgraphs[0].tensors[w.weight])[0].size == 1
            got = it.tensor(w.output)
            assert np.array_equal(got, reference.run_op(out, w.index, it.tensor(w.input)).reshape(got.shape))
