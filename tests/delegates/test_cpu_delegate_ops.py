"""The edgeq CPU delegate is bit-exact with TFLite's reference kernels, op by op.

Every case (the tables of delegate_cases.py, shared with the GPU delegate's tests) is a tiny
int8 model, converted once per session; each runs on ``resolver="reference"`` alone and with
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
import delegate_cases as dc
from edgeq.runtime import Interpreter


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
        xs = dc.random_inputs(ref, rng)
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


@pytest.mark.parametrize("case", dc.names_for(dc.OP_CASES, "cpu"))
def test_op_bit_exact(case, case_model, tmp_path):
    model = case_model("op", case)
    spec = dc.OP_CASES[case]
    if spec.convert.get("per_tensor"):
        assert weight_scale_counts(model) == [1], "the case must exercise per-tensor weights"
    elif spec.ops & dc.WEIGHTED_OPS:
        assert all(n > 1 for n in weight_scale_counts(model)), "the case must exercise per-channel weights"
    assert_bit_exact(model, dc.expected_claims(spec, "cpu"), tmp_path)


@pytest.mark.parametrize("case", dc.names_for(dc.INT4_CASES, "cpu"))
def test_int4_weights_bit_exact(case, case_model, tmp_path):
    model = case_model("int4", case)
    from edgeq import tflite_schema as ts
    m = ts.read_model(model)
    types = {ts.tensor_type_names()[t.type] for t in m.subgraphs[0].tensors}
    assert "int4" in types, "the rewrite must produce INT4 weight tensors"
    assert_bit_exact(model, dc.expected_claims(dc.INT4_CASES[case], "cpu"), tmp_path)


@pytest.mark.parametrize("name", dc.names_for(dc.WHOLE_MODELS, "cpu"))
@pytest.mark.parametrize("threads", [1, 2])
def test_whole_model_bit_exact(name, threads, case_model, tmp_path):
    from edgeq.suite.informative import spread, with_logits

    model = case_model("whole", name)
    claimed = assert_bit_exact(model, dc.expected_claims(dc.WHOLE_MODELS[name], "cpu"), tmp_path, threads=threads)
    # every node of these models is supported: the delegate must take all of them
    assert len(claimed) == len(om.op_names(model))
    # a saturated softmax head says little (the mlp case's is -128 or 127: 2 values): its logits too
    wide, pos = with_logits(model)
    if pos is not None:
        assert_bit_exact(wide, set(), tmp_path, threads=threads)
    ref = Interpreter(wide, resolver="reference")
    outs = ref.run(dc.random_inputs(ref, np.random.default_rng(1234)))
    assert any(not spread(o, s.zero_point)["degenerate"] for o, s in zip(outs, ref.outputs))


def test_threads_split_gemm_rows_and_channels(case_model, tmp_path):
    # batch-1 FC splits output channels, conv splits rows: both must stay exact with 2 threads
    assert_bit_exact(case_model("op", "fc_per_tensor_wide"), {"FULLY_CONNECTED"}, tmp_path, threads=2)
    assert_bit_exact(case_model("op", "conv_1x1_c16_b2"), {"CONV_2D"}, tmp_path, threads=2)
    assert_bit_exact(case_model("op", "conv_valid_s2_b2"), {"CONV_2D"}, tmp_path, threads=2)


@pytest.mark.parametrize("env", [{"EDGEQ_SLOW_GATHERS": "0"}, {"EDGEQ_SLOW_GATHERS": "1"},
                                 {"EDGEQ_ISA": "avx2", "EDGEQ_SLOW_GATHERS": "1"}, {"EDGEQ_ISA": "scalar"}])
def test_pair_table_and_vector_kernel_paths_bit_exact(env, case_model, monkeypatch, tmp_path):
    # ADD / SUB / MUL of >= 16384 outputs look every output up in the 64K-entry pair table on x86, except
    # where the op's AVX-512 kernel outruns the gathers (EDGEQ_SLOW_GATHERS=1: AMD), so whichever the host
    # is, both paths run here: SLOW_GATHERS=0 the table, =1 the AVX-512 kernels over same-shape inputs and
    # broadcast runs (AVX2 keeps the table for broadcast ones; same-shape ADD / SUB / MUL take the AVX2 kernels'
    # fp32 forms), scalar: no gather, the scalar kernels
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for case in ("add_pair_table_relu", "mul_se_gate_pair_table", "sub_row_pair_table_b2", "mul_large_relu6"):
        assert_bit_exact(case_model("op", case), dc.expected_claims(dc.OP_CASES[case], "cpu"), tmp_path, threads=2)


@pytest.mark.parametrize("case,fused", [("swish", True), ("swish_shared_sigmoid", False)])
def test_swish_is_one_table_only_where_the_sigmoid_has_no_other_reader(case, fused, case_model, monkeypatch, capfd):
    # the per-op profile names the nodes as they ran: a fused pair shows as LOGISTIC+MUL
    import gc

    monkeypatch.setenv("EDGEQ_CPU_PROFILE", "1")
    model = case_model("op", case)
    it = Interpreter(model, resolver="reference", delegates=["cpu"])
    it.run(dc.random_inputs(it, np.random.default_rng(0)))
    del it
    gc.collect()
    err = capfd.readouterr().err
    assert "edgeq cpu profile" in err, err
    assert ("LOGISTIC+MUL" in err) == fused, err


@pytest.mark.parametrize("case", ["pad_maxpool_stem", "pad_maxpool_border_b2"])
def test_pad_before_maxpool_is_fused(case, case_model, monkeypatch, capfd):
    # the bit-exact op cases of the same names run the fused pair; the profile shows it ran so
    import gc

    monkeypatch.setenv("EDGEQ_CPU_PROFILE", "1")
    it = Interpreter(case_model("op", case), resolver="reference", delegates=["cpu"])
    it.run(dc.random_inputs(it, np.random.default_rng(0)))
    del it
    gc.collect()
    err = capfd.readouterr().err
    assert "PAD+MAX_POOL_2D" in err and "PAD (fused)" in err, err


# grouped CONV_2D with one input channel per group (ConvNeXt's 7x7): the CPU delegate runs it on its
# depthwise kernels (the GPU delegate declines it, so these are not in the shared case table)
GROUPED_CONVS = {
    "grouped_conv_7x7": (lambda: om.grouped_conv(), {}),
    "grouped_conv_mult2_s2_relu_b2": (lambda: om.grouped_conv(n=2, c=4, mult=2, k=(3, 3), stride=2, act="relu"), {}),
    "grouped_conv_per_tensor_c20": (lambda: om.grouped_conv(h=12, w=12, c=20, seed=3), {"per_tensor": True}),
}


@pytest.mark.parametrize("name", sorted(GROUPED_CONVS))
@pytest.mark.parametrize("threads", [1, 2])
def test_grouped_conv_runs_as_depthwise_bit_exact(name, threads, tmp_path):
    build, convert = GROUPED_CONVS[name]
    fn, shapes = build()
    model = om.convert(fn, shapes, **convert)
    claimed = assert_bit_exact(model, {"CONV_2D"}, tmp_path, threads=threads)
    assert len(claimed) == len(om.op_names(model))
