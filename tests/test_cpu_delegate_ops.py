"""The edgeq CPU delegate is bit-exact with TFLite's reference kernels, op by op.

Every case converts a tiny int8 model, runs it on ``resolver="reference"`` alone and with
the edgeq ``cpu`` delegate in front (the runtime's reference kernels run whatever the
delegate leaves), and asserts identical outputs on random inputs. The delegate's
``report_path`` JSON proves which nodes it claimed, so a delegate that claimed nothing
could not pass.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import _opmodels as om
from edgeq.runtime import Interpreter

# id -> (builder, kwargs for convert, ops the delegate must claim)
CASES = {
    "conv_same_relu": (lambda: om.conv2d(h=9, w=9, cin=5, cout=7, act="relu"), {}, {"CONV_2D"}),
    "conv_valid_s2_b2": (lambda: om.conv2d(n=2, h=10, w=11, cin=3, cout=8, stride=2, padding="VALID"), {},
                         {"CONV_2D"}),
    "conv_dilation2_relu6": (lambda: om.conv2d(h=11, w=10, cin=4, cout=6, dilation=2, act="relu6"), {},
                             {"CONV_2D"}),
    "conv_5x5_s2_same_odd": (lambda: om.conv2d(h=13, w=7, cin=3, cout=5, k=(5, 5), stride=2), {}, {"CONV_2D"}),
    "conv_1x1_direct_b2": (lambda: om.conv2d(n=2, h=6, w=5, cin=16, cout=24, k=(1, 1)), {}, {"CONV_2D"}),
    "conv_relu_n1_to_1": (lambda: om.conv2d(h=6, w=6, cin=3, cout=4, act="relu_n1_to_1"), {}, {"CONV_2D"}),
    "conv_per_tensor": (lambda: om.conv2d(h=8, w=8, cin=6, cout=5, seed=3), {"per_tensor": True}, {"CONV_2D"}),
    "dw_same_relu": (lambda: om.depthwise(h=9, w=9, c=5, act="relu"), {}, {"DEPTHWISE_CONV_2D"}),
    "dw_mult2_valid_s2_b2": (lambda: om.depthwise(n=2, h=10, w=9, c=3, mult=2, stride=2, padding="VALID"), {},
                             {"DEPTHWISE_CONV_2D"}),
    "dw_dilation2_relu6": (lambda: om.depthwise(h=12, w=12, c=7, dilation=2, act="relu6"), {},
                           {"DEPTHWISE_CONV_2D"}),
    "fc_b1": (lambda: om.dense(batch=1, cin=33, cout=17), {}, {"FULLY_CONNECTED"}),
    "fc_b5_relu": (lambda: om.dense(batch=5, cin=20, cout=9, act="relu"), {}, {"FULLY_CONNECTED"}),
    "fc_per_tensor_wide": (lambda: om.dense(batch=1, cin=256, cout=200, seed=4), {"per_tensor": True},
                           {"FULLY_CONNECTED"}),
    "add_relu": (lambda: om.binary("add", act="relu"), {}, {"ADD"}),
    "add_broadcast": (lambda: om.binary("add", a=(2, 4, 5, 6), b=(1, 1, 1, 6)), {}, {"ADD"}),
    "mul": (lambda: om.binary("mul", a=(1, 3, 4, 5), b=(1, 3, 4, 5)), {}, {"MUL"}),
    "mul_broadcast": (lambda: om.binary("mul", a=(1, 4, 4, 6), b=(1, 1, 1, 6)), {}, {"MUL"}),
    "avgpool_same_s2": (lambda: om.pool("avg", h=9, w=8, c=5, k=3, stride=2), {}, {"AVERAGE_POOL_2D"}),
    "avgpool_valid_b2": (lambda: om.pool("avg", n=2, h=7, w=7, c=3, k=2, stride=1, padding="VALID"), {},
                         {"AVERAGE_POOL_2D"}),
    "maxpool_same_s2": (lambda: om.pool("max", h=9, w=9, c=4, k=3, stride=2), {}, {"MAX_POOL_2D"}),
    "maxpool_valid": (lambda: om.pool("max", n=2, h=8, w=6, c=3, k=2, stride=2, padding="VALID"), {},
                      {"MAX_POOL_2D"}),
    "mean_hw_keepdims": (lambda: om.mean((2, 5, 6, 7), (1, 2), True), {}, {"MEAN"}),
    "mean_last_axis": (lambda: om.mean((3, 4, 9), (-1,), False), {}, {"MEAN"}),
    "softmax": (lambda: om.unary("softmax", (3, 37)), {}, {"SOFTMAX"}),
    "logistic": (lambda: om.unary("logistic", (8, 128)), {}, {"LOGISTIC"}),
    "hard_swish": (lambda: om.unary("hard_swish", (8, 128)), {"scale": 2.0}, {"HARD_SWISH"}),
    "concat_reshape": (lambda: om.reshape_concat((2, 3, 4, 5)), {}, {"CONCATENATION", "RESHAPE"}),
    "pad": (lambda: om.pad(), {}, {"PAD"}),
    "requantize_into_concat": (lambda: om.concat_requantize(), {"scale": (1.0, 4.0)},
                               {"LOGISTIC", "QUANTIZE", "MUL", "CONCATENATION"}),
    "dw_per_tensor": (lambda: om.depthwise(h=8, w=7, c=6, seed=9), {"per_tensor": True}, {"DEPTHWISE_CONV_2D"}),
    "float_io_quantize_dequantize": (lambda: om.conv2d(h=6, w=6, cin=3, cout=4, seed=5), {"float_io": True},
                                     {"QUANTIZE", "CONV_2D", "DEQUANTIZE"}),
}

INT4_CASES = {
    "int4_conv_odd": (lambda: om.conv2d(h=7, w=7, cin=3, cout=5, seed=6), {"CONV_2D"}),
    "int4_dw_odd": (lambda: om.depthwise(h=7, w=8, c=5, seed=7), {"DEPTHWISE_CONV_2D"}),
    "int4_fc_odd": (lambda: om.dense(batch=3, cin=33, cout=17, seed=8), {"FULLY_CONNECTED"}),
}

WHOLE_MODELS = {
    "mobilenet_block": (om.mobilenet_block, {"CONV_2D", "DEPTHWISE_CONV_2D", "HARD_SWISH", "MEAN", "LOGISTIC",
                                             "MUL", "ADD", "FULLY_CONNECTED", "SOFTMAX"}),
    "residual_net": (om.residual_net, {"CONV_2D", "CONCATENATION", "ADD", "MAX_POOL_2D", "PAD", "AVERAGE_POOL_2D"}),
    "mlp": (om.mlp, {"FULLY_CONNECTED", "SOFTMAX"}),
}


@pytest.fixture(scope="session")
def models():
    """Converted models, built on first use and shared by the session."""
    cache: dict[str, bytes] = {}

    def get(key: str) -> bytes:
        if key not in cache:
            if key in CASES:
                build, kw, _ = CASES[key]
                fn, shapes = build()
                cache[key] = om.convert(fn, shapes, **kw)
            elif key in INT4_CASES:
                fn, shapes = INT4_CASES[key][0]()
                cache[key] = om.to_int4(om.convert(fn, shapes, seed=1))
            else:
                fn, shapes = WHOLE_MODELS[key][0]()
                cache[key] = om.convert(fn, shapes, seed=2)
        return cache[key]
    return get


def random_inputs(interp: Interpreter, rng: np.random.Generator) -> list[np.ndarray]:
    xs = []
    for s in interp.inputs:
        if np.issubdtype(s.dtype, np.integer):
            xs.append(rng.integers(-128, 128, s.shape).astype(s.dtype))
        else:
            xs.append((rng.standard_normal(s.shape) * 2).astype(s.dtype))
    return xs


def assert_bit_exact(model: bytes, expect_claimed: set[str], tmp_path, *, threads: int = 1, runs: int = 3):
    report = tmp_path / "claimed.json"
    ref = Interpreter(model, resolver="reference")
    dlg = Interpreter(model, resolver="reference", delegates=["cpu"],
                      delegate_options={"report_path": str(report), "num_threads": threads})
    claimed = json.loads(report.read_text())["claimed"]
    claimed_ops = {c["op"] for c in claimed}
    assert expect_claimed <= claimed_ops, f"delegate claimed {claimed_ops}, expected {expect_claimed}"
    model_ops = set(om.op_names(model))
    assert claimed_ops <= model_ops
    rng = np.random.default_rng(1234)
    for _ in range(runs):
        xs = random_inputs(ref, rng)
        want = ref.run(xs)
        got = dlg.run(xs)
        for w, g in zip(want, got):
            assert w.dtype == g.dtype and w.shape == g.shape
            mismatches = int(np.sum(w != g))
            assert np.array_equal(w, g), f"{mismatches}/{w.size} outputs differ from BUILTIN_REF"
    return claimed


def weight_scale_counts(model: bytes) -> list[int]:
    """Number of scales of each CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weight tensor."""
    from edgeq import tflite_schema as ts
    m = ts.read_model(model)
    sg = m.subgraphs[0]
    return [len(sg.tensors[op.inputs[1]].quantization.scale) for op in sg.operators
            if ts.op_name(m, op) in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_bit_exact(case, models, tmp_path):
    model = models(case)
    if CASES[case][1].get("per_tensor"):
        assert weight_scale_counts(model) == [1], "the case must exercise per-tensor weights"
    elif CASES[case][2] & {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}:
        assert all(n > 1 for n in weight_scale_counts(model)), "the case must exercise per-channel weights"
    assert_bit_exact(model, CASES[case][2], tmp_path)


@pytest.mark.parametrize("case", sorted(INT4_CASES))
def test_int4_weights_bit_exact(case, models, tmp_path):
    model = models(case)
    from edgeq import tflite_schema as ts
    m = ts.read_model(model)
    types = {ts.tensor_type_names()[t.type] for t in m.subgraphs[0].tensors}
    assert "int4" in types, "the rewrite must produce INT4 weight tensors"
    assert_bit_exact(model, INT4_CASES[case][1], tmp_path)


@pytest.mark.parametrize("name", sorted(WHOLE_MODELS))
@pytest.mark.parametrize("threads", [1, 2])
def test_whole_model_bit_exact(name, threads, models, tmp_path):
    model = models(name)
    expect = WHOLE_MODELS[name][1]
    claimed = assert_bit_exact(model, expect, tmp_path, threads=threads)
    # every node of these models is supported: the delegate must take all of them
    assert len(claimed) == len(om.op_names(model))


def test_threads_split_gemm_rows_and_channels(models, tmp_path):
    # batch-1 FC splits output channels, conv splits rows: both must stay exact with 2 threads
    assert_bit_exact(models("fc_per_tensor_wide"), {"FULLY_CONNECTED"}, tmp_path, threads=2)
    assert_bit_exact(models("conv_1x1_direct_b2"), {"CONV_2D"}, tmp_path, threads=2)
    assert_bit_exact(models("conv_valid_s2_b2"), {"CONV_2D"}, tmp_path, threads=2)
