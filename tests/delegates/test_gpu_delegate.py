"""The edgeq OpenCL GPU delegate (libedgeq_gpu), in CI on PoCL: bit-exact with BUILTIN_REF.

Every case (the tables of delegate_cases.py, shared with the CPU delegate's tests, where the
GPU supports one of the case's ops) is a tiny int8 model, run with the reference kernels alone and
with ``delegates=["gpu"]`` on top of them, and requires identical outputs plus a report
(``report_path``) showing the nodes were claimed and their partition ran on the device.
Kernel programs are cached in one per-session folder, so PoCL compiles them once.
``EDGEQ_GPU_PLATFORM=NVIDIA`` (index or name substring) runs the cases on another platform.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _opmodels as om  # noqa: E402
import delegate_cases as dc  # noqa: E402

from edgeq.errors import DelegateError, EdgeqError  # noqa: E402
from edgeq.runtime import Interpreter, delegate_path  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


# Inference runs in a worker process that never imports TensorFlow: TensorFlow exports LLVM
# symbols that LLVM-based OpenCL drivers (PoCL) collide with. The delegate copes with that
# in-process (test_in_process_next_to_tensorflow), but on machines whose OpenCL loader also
# lists other drivers the GPU would then be unavailable; the worker keeps the op tests about
# arithmetic. Set EDGEQ_GPU_PLATFORM to pick the OpenCL platform (default: PoCL).
_WORKER = r"""
import json, sys
import numpy as np
from edgeq.runtime import Interpreter
sys.path.insert(0, sys.argv[1])
from delegate_cases import random_inputs

def inputs(interp, seed):
    return random_inputs(interp, np.random.default_rng(seed))

for line in sys.stdin:
    req = json.loads(line)
    try:
        model = open(req["model"], "rb").read()
        ref = Interpreter(model, resolver="reference")
        gpu = Interpreter(model, resolver=req.get("resolver", "reference"), delegates=["gpu"],
                          delegate_options=req["opts"], num_threads=req.get("num_threads"))
        arrays = {}
        for seed in req["seeds"]:
            x = inputs(ref, seed)
            for i, (r, g) in enumerate(zip(ref.run(x), gpu.run(x))):
                arrays[f"ref_{seed}_{i}"], arrays[f"gpu_{seed}_{i}"] = r, g
        np.savez(req["out"], **arrays)
        del gpu
        resp = {"ok": True}
    except Exception as e:
        resp = {"ok": False, "type": type(e).__name__, "error": str(e)}
    print(json.dumps(resp), flush=True)
"""


class GpuWorker:
    """A long-lived inference process; restarted if a request kills it."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.n = 0

    def _start(self):
        self.stderr = open(self.tmp / "worker_stderr.txt", "a+")
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(HERE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, cwd=REPO)

    def request(self, model: bytes, opts: dict, seeds=(0, 1), num_threads: int | None = None) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.n += 1
        path, out = self.tmp / f"m{self.n}.tflite", self.tmp / f"o{self.n}.npz"
        path.write_bytes(model)
        req = {"model": str(path), "opts": {str(k): str(v) for k, v in opts.items()}, "seeds": list(seeds),
               "out": str(out), "num_threads": num_threads}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=30)
            self.stderr.seek(0)
            raise AssertionError(f"inference worker died (exit {self.proc.returncode}): {self.stderr.read()[-2000:]}")
        resp = json.loads(line)
        if resp["ok"]:
            data = np.load(out)
            resp["refs"] = [[data[f"ref_{s}_{i}"] for i in range(len(data.files) // (2 * len(seeds)))] for s in seeds]
            resp["gpus"] = [[data[f"gpu_{s}_{i}"] for i in range(len(data.files) // (2 * len(seeds)))] for s in seeds]
        return resp

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        self.proc = None


@pytest.fixture(scope="session")
def worker(tmp_path_factory):
    w = GpuWorker(tmp_path_factory.mktemp("gpu_worker"))
    yield w
    w.close()


@pytest.fixture(scope="session")
def gpu_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gpu_program_cache")


#: CI's OpenCL platform; a CPU OpenCL device is used only when asked for, so the tests name it
POCL = "Portable Computing Language"


def _platform_opts() -> dict:
    return {"platform": os.environ.get("EDGEQ_GPU_PLATFORM") or POCL}


def run_both(worker: GpuWorker, model: bytes, tmp_path: Path, cache: Path, seeds=(0, 1), runtime_threads=None,
             **opts):
    """Reference outputs, GPU-delegate outputs (per seed) and the delegate's report."""
    report = tmp_path / "gpu_report.json"
    # offload=all: these tests are about the kernels, and a real GPU's offload model would decline
    # their tiny partitions (test_offload_model_* test the model)
    resp = worker.request(model, {"report_path": report, "cache_dir": cache, "offload": "all", **_platform_opts(),
                                  **opts}, seeds, runtime_threads)
    assert resp["ok"], f"{resp['type']}: {resp['error']}"
    return resp["refs"], resp["gpus"], json.loads(report.read_text())


def assert_bit_exact(refs, gpus):
    for r_outs, g_outs in zip(refs, gpus):
        assert len(r_outs) == len(g_outs) > 0
        for r, g in zip(r_outs, g_outs):
            assert r.dtype == g.dtype and r.shape == g.shape
            diff = np.abs(r.astype(np.int32) - g.astype(np.int32))
            assert np.array_equal(r, g), f"{int((diff > 0).sum())}/{r.size} outputs differ, max {diff.max()}"


def assert_ran_on_device(rep: dict, ops: set[str]):
    assert rep["status"] == "ok", rep["message"]
    claimed = {c["op"] for c in rep["claimed"]}
    assert ops <= claimed, f"expected {ops} claimed, got {claimed}; rejected: {rep['rejected']}"
    ran = {n["node"] for p in rep["partitions"] if p["invocations"] > 0 for n in p["nodes"]}
    assert {c["node"] for c in rep["claimed"]} == ran, "a claimed node never ran on the device"
    kernels = [k for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]]
    assert kernels and all(k["max_work_group_size"] > 0 for k in kernels)


@pytest.mark.parametrize("name", dc.names_for(dc.OP_CASES, "gpu"))
def test_op_bit_exact(name, case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, dc.expected_claims(dc.OP_CASES[name], "gpu"))


@pytest.mark.parametrize("name", dc.names_for(dc.INT4_CASES, "gpu"))
def test_int4_weights_bit_exact(name, case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("int4", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, dc.expected_claims(dc.INT4_CASES[name], "gpu"))


@pytest.mark.parametrize("name", dc.names_for(dc.WHOLE_MODELS, "gpu"))
def test_whole_model_subgraphs_bit_exact(name, case_model, worker, tmp_path, gpu_cache):
    """The ops the GPU has run on the device in one or more partitions; the runtime runs the rest."""
    from edgeq.suite.informative import with_logits

    # a softmax head's logits as an extra output: the mlp case's softmax saturates to 2 values
    model, _ = with_logits(case_model("whole", name))
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, dc.expected_claims(dc.WHOLE_MODELS[name], "gpu"))


def test_subgraph_stays_on_device(case_model, worker, tmp_path, gpu_cache):
    """A fully delegated chain is one partition: one upload, one readback per invoke."""
    model = case_model("whole", "mlp")
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert len(rep["partitions"]) == 1
    part = rep["partitions"][0]
    assert len(part["nodes"]) == len(rep["claimed"]) == len(om.op_names(model))
    assert part["uploads"] == 1 and part["readbacks"] == 1
    assert part["invocations"] >= 1


@pytest.mark.parametrize("name", ["fc_gemm_b70_edges", "fc_gemm_b64_exact_tiles"])
def test_many_row_fc_runs_the_tiled_gemm(name, case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {"gemm_tiled_qs8"}


@pytest.mark.parametrize("kind, name, kernel", [("op", "fc_gemv_b3_n_tail", "fc_gemv_qs8"),
                                                ("op", "fc_per_tensor_wide", "fc_gemv_qs8"),
                                                ("int4", "int4_fc_gemv_k256", "fc_gemv_qs8"),
                                                ("op", "fc_k256_n10_wg", "fully_connected_wg_qs8")])
def test_few_row_fc_with_16_multiple_depth_runs_the_gemv(kind, name, kernel, case_model, worker, tmp_path,
                                                         gpu_cache):
    """k % 16 == 0, too few rows for the tiled GEMM and >= 128 outputs: fc_gemv_qs8 (aligned vector loads, 8
    outputs per work group); bit-exact, int8 and int4 weights, a partly empty last group (133 outputs), 3 rows.
    10 outputs keep the work-group-per-output kernel."""
    refs, gpus, rep = run_both(worker, case_model(kind, name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {kernel}


@pytest.mark.parametrize("name", ["conv_tiled_3x3_b2_odd_c", "conv_tiled_1x1_dense", "conv_tiled_s2_c8",
                                  "conv_tiled_dil2_valid"])
def test_large_conv_runs_the_tiled_implicit_gemm(name, case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {"gemm_tiled_qs8"}


@pytest.mark.parametrize("name, kernel", [("conv_grouped_dw_7x7", "depthwise_qs8"),
                                          ("conv_grouped_dw_mult2_s2", "depthwise_qs8"),
                                          ("conv_grouped_g2_odd", "gemm_tiled_qs8")])
def test_grouped_conv(name, kernel, case_model, worker, tmp_path, gpu_cache):
    """Grouped CONV_2D (the CPU delegate leaves it to the runtime): one input channel per group runs the
    depthwise kernel on re-laid weights, wider groups the tiled GEMM with group-bound column tiles."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert [c["op"] for c in rep["claimed"]] == ["CONV_2D"]
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {kernel}


def test_conv_kernel_env_overrides_the_size_rule(case_model, tmp_path, gpu_cache, monkeypatch):
    """EDGEQ_GPU_CONV_KERNEL picks the kernel both ways, still bit-exact (a fresh worker sees the env)."""
    for name, force, kernel in (("conv_tiled_3x3_b2_odd_c", "direct", "conv2d_qs8"),
                                ("conv_same_relu", "tiled", "gemm_tiled_qs8")):
        monkeypatch.setenv("EDGEQ_GPU_CONV_KERNEL", force)
        w = GpuWorker(tmp_path)
        try:
            refs, gpus, rep = run_both(w, case_model("op", name), tmp_path, gpu_cache)
        finally:
            w.close()
        assert_bit_exact(refs, gpus)
        kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
        assert kernels == {kernel}, (name, force)


@pytest.mark.parametrize("name, env, row_tiles, slices", [
    ("fc_gemm_split_depth", {}, 1, 8),  # 2 output tiles, depth 1003: 8 slices of 128 (the last 107)
    ("conv_split_depth_7x6", {"EDGEQ_GPU_CONV_KERNEL": "tiled"}, 1, 4),  # depth 360, padded taps
    ("conv_tiled_3x3_b2_odd_c", {"EDGEQ_GPU_KSPLIT": "3"}, 40, 3),  # depth 45: slices 16, 16, 13
    ("conv_grouped_g2_odd", {"EDGEQ_GPU_KSPLIT": "2"}, 2, 2),  # group-bound column tiles, depth 27
    ("fc_gemm_b70_edges", {"EDGEQ_GPU_KSPLIT": "4"}, 2, 4),  # edge rows / columns, depth 100: 32, 32, 32, 4
])
def test_tiled_gemm_split_depth(name, env, row_tiles, slices, case_model, tmp_path, gpu_cache, monkeypatch):
    """Few output tiles over a long depth: work groups take slices of the depth, a second kernel adds the
    slices' int32 sums and requantizes; bit-exact (EDGEQ_GPU_KSPLIT forces a count, a fresh worker sees it)."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    w = GpuWorker(tmp_path)
    try:
        refs, gpus, rep = run_both(w, case_model("op", name), tmp_path, gpu_cache)
    finally:
        w.close()
    assert_bit_exact(refs, gpus)
    launches = [k for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]]
    assert [k["kernel"] for k in launches] == ["gemm_tiled_qs8", "gemm_splitk_requant_qs8"]
    assert launches[0]["global"][1] == 16 * row_tiles * slices


def test_one_by_one_conv_over_a_long_depth_runs_a_group_per_output(case_model, worker, tmp_path, gpu_cache):
    """A 1x1 stride-1 CONV_2D over few pixels and a long depth (EfficientNet's 7x7x1152 projections: a lane per
    output would do 1152 multiply-adds in series) runs fully_connected_wg_qs8, a work group per output, with the
    conv's double rounding; bit-exact (batch 2, relu6, 1032 channels: a 16-wide tail)."""
    refs, gpus, rep = run_both(worker, case_model("op", "conv_1x1_long_depth_b2"), tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {"fully_connected_wg_qs8"}


def test_small_conv_stays_direct(case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("op", "conv_same_relu"), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    kernels = {k["kernel"] for p in rep["partitions"] for n in p["nodes"] for k in n["kernels"]}
    assert kernels == {"conv2d_qs8"}


@pytest.mark.parametrize("name, fused", [("swish", True), ("swish_large_b2", True), ("swish_shared_sigmoid", False)])
def test_swish_is_one_table_lookup(name, fused, case_model, worker, tmp_path, gpu_cache):
    """x * LOGISTIC(x) runs as one lut_s8 launch (the sigmoid never reaches memory); not when the
    sigmoid has another reader. The conv that produces x is left to the runtime here (ops option):
    on the device it would apply the table itself (test_table_op_runs_in_its_producers_epilogue)."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache, ops="LOGISTIC,MUL,ADD")
    assert_bit_exact(refs, gpus)
    nodes = {n["op"]: n for p in rep["partitions"] for n in p["nodes"]}
    kernels = {op: [k["kernel"] for k in n["kernels"]] for op, n in nodes.items()}
    if fused:
        assert kernels["MUL"] == ["lut_s8"] and kernels["LOGISTIC"] == []
        assert nodes["MUL"]["fused"].startswith("LOGISTIC+MUL") and "fused" in nodes["LOGISTIC"]
    else:
        assert kernels["MUL"] == ["mul_qs8"] and kernels["LOGISTIC"] == ["lut_s8"]
        assert "fused" not in nodes["MUL"] and "fused" not in nodes["LOGISTIC"]


@pytest.mark.parametrize("name, producer, table_ops, kernel", [
    ("conv_hard_swish_epilogue", "CONV_2D", ["HARD_SWISH"], "conv2d_qs8"),
    ("dw_logistic_epilogue", "DEPTHWISE_CONV_2D", ["LOGISTIC"], "depthwise_qs8"),
    ("fc_gelu_epilogue_b70", "FULLY_CONNECTED", ["GELU"], "gemm_splitk_requant_qs8"),  # 2 tiles, depth 200: 2 slices
    ("fc_gelu_epilogue_b1", "FULLY_CONNECTED", ["GELU"], "fully_connected_wg_qs8"),
    ("swish", "CONV_2D", ["LOGISTIC", "MUL"], "conv2d_qs8"),  # swish: the composed table
])
def test_table_op_runs_in_its_producers_epilogue(name, producer, table_ops, kernel, case_model, worker, tmp_path,
                                                 gpu_cache):
    """A table op (and swish's LOGISTIC + MUL) whose input only it reads runs no kernel: the conv / depthwise /
    FC that produces that input looks each stored byte up in the op's table; bit-exact."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    nodes = {n["op"]: n for p in rep["partitions"] for n in p["nodes"]}
    assert sorted(nodes) == sorted([producer, *table_ops])
    assert kernel in [k["kernel"] for k in nodes[producer]["kernels"]]
    assert rep["partitions"][0]["launches"] == len(nodes[producer]["kernels"])
    assert "epilogue" in nodes[producer]["fused"]
    for op in table_ops:
        assert nodes[op]["kernels"] == [] and "epilogue" in nodes[op]["fused"]


@pytest.mark.parametrize("name, runs", [
    # x * 0.5 + 1: one lut_s8; conv -> * (1/6) -> LOGISTIC: the conv's epilogue table
    ("chain_unary", [("MUL", "lut_s8"), ("CONV_2D", "conv2d_qs8")]),
    # a + conv(a) -> HARD_SWISH: the second conv reads a as it stores (65536-entry table of both bytes)
    ("chain_residual", [("CONV_2D", "conv2d_qs8"), ("CONV_2D", "conv2d_qs8")]),
    # conv(x) - conv(lut(x)): the SUB in the epilogue of the conv that runs last, its byte as SUB's second input
    ("chain_sub", [("CONV_2D", "conv2d_qs8"), ("MUL", "lut_s8"), ("CONV_2D", "conv2d_qs8")]),
    ("chain_mul", [("CONV_2D", "conv2d_qs8"), ("CONV_2D", "conv2d_qs8")]),
    # rsqrt(mean over axis 1 + 2) * gamma[c]: the ADD's table takes RSQRT, then the broadcasting MUL (table2_s8);
    # SUB alone
    ("chain_bcast", [("MEAN", "mean_qs8"), ("ADD", "table2_s8"), ("SUB", "add_qs8")]),
    # FC rows [12, 16] + the [1, 12, 16] input: the same elements, so the ADD is in the FC's epilogue
    ("chain_fc_residual", [("FULLY_CONNECTED", "fully_connected_qs8")]),
])
def test_elementwise_chains_run_in_fewer_launches(name, runs, case_model, worker, tmp_path, gpu_cache):
    """Unary ops by one-element constants and table ops compose into one table (a lut_s8, or the producing
    conv's epilogue); a same-shape ADD / SUB / MUL goes into the epilogue of the conv that makes one input
    when the other is ready by then, and a broadcasting one into a lookup's table of both bytes; every
    other node runs no kernel. Bit-exact."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    part = rep["partitions"][0]
    assert len(rep["partitions"]) == 1 and part["launches"] == len(runs)
    ran = [(n["op"], k["kernel"]) for n in part["nodes"] for k in n["kernels"]]
    assert ran == runs
    idle = [n for n in part["nodes"] if not n["kernels"]]
    assert idle and all("into" in n["fused"] for n in idle)


@pytest.mark.parametrize("name, first, last", [("row_norm_keras", [("MUL", "lut_s8")], []), ("row_norm_wide", [], []),
                                               ("row_norm_two_outputs", [], [("LOGISTIC", "lut_s8")])])
def test_layer_norm_is_one_row_program(name, first, last, case_model, worker, tmp_path, gpu_cache):
    """LayerNorm over the last axis (two MEANs, SQUARED_DIFFERENCE, ADD epsilon, RSQRT, the broadcasting MULs,
    ADDs and SUB, and a unary op after it) is one rownorm_qs8 launch, one work group per row, each step the
    arithmetic of the op it replaces (MEAN's int32 sum and requantization, 256 / 65536-entry tables of the
    others); 40 channels on 32 lanes, 300 on 128; bit-exact. When the norm is a model output and a LOGISTIC
    after it another, the program stops at the norm (one tensor leaves it) and the LOGISTIC runs its lookup."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    part = rep["partitions"][0]
    ran = [(n["op"], k["kernel"]) for n in part["nodes"] for k in n["kernels"]]
    assert len(rep["partitions"]) == 1 and ran == first + [("MEAN", "rownorm_qs8")] + last
    assert part["launches"] == len(ran)
    idle = [n for n in part["nodes"] if not n["kernels"]]
    assert len(idle) == len(part["nodes"]) - len(ran) >= 8
    assert all("row program" in n["fused"] for n in idle)


@pytest.mark.parametrize("name, idle", [("se_conv_sigmoid_b2", ["CONV_2D", "LOGISTIC"]),
                                         ("se_conv_hard_sigmoid", ["CONV_2D", "MUL"])])
def test_squeeze_excite_gate_computes_its_conv(name, idle, case_model, worker, tmp_path, gpu_cache):
    """The gate MUL's one se_gate_qs8 launch recomputes the excite 1x1 conv's channel for every element it
    stores, through that conv's epilogue ops (MobileNetV3's * 1/6) or the sigmoid (EfficientNet), so the
    conv runs no kernel: conv, MEAN, squeeze conv, gate = 4 launches; bit-exact (batch 2: each batch
    element its own gate)."""
    refs, gpus, rep = run_both(worker, case_model("op", name), tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    part = rep["partitions"][0]
    assert part["launches"] == 4
    ran = [(n["op"], k["kernel"]) for n in part["nodes"] for k in n["kernels"]]
    assert ran == [("CONV_2D", "conv2d_qs8"), ("MEAN", "mean_qs8"), ("CONV_2D", "conv2d_qs8"), ("MUL", "se_gate_qs8")]
    assert sorted(n["op"] for n in part["nodes"] if not n["kernels"]) == sorted(idle)
    assert "squeeze-excite" in [n for n in part["nodes"] if n["kernels"] == [] and n["op"] == "CONV_2D"][0]["fused"]


def test_batch_matmul_applies_the_scale_after_it(case_model, worker, tmp_path, gpu_cache):
    """Attention's Q.K^T * dim^-0.5: the MUL by a one-element constant is the BATCH_MATMUL's epilogue table."""
    refs, gpus, rep = run_both(worker, case_model("whole", "attention"), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    nodes = [n for p in rep["partitions"] for n in p["nodes"]]
    muls = [n for n in nodes if n["op"] == "MUL"]
    assert len(muls) == 1 and muls[0]["kernels"] == [] and "epilogue" in muls[0]["fused"]
    assert any("epilogue" in (n.get("fused") or "") for n in nodes if n["op"] == "BATCH_MATMUL")


@pytest.mark.parametrize("table, name", [("whole", "attention"), ("op", "attention_b2_h3")])
def test_batch_matmul_reads_through_the_transposes(table, name, case_model, worker, tmp_path, gpu_cache):
    """The per-head TRANSPOSEs of Q, K and V, each read only by a BATCH_MATMUL, run no kernel: the BATCH_MATMUL
    reads the TRANSPOSE's input through its permutation (batch, row and depth strides); the heads' merge after P.V
    neither: that BATCH_MATMUL (no epilogue) stores through the merge's permutation. Bit-exact (batch 2 x 3
    heads: two batch dims)."""
    refs, gpus, rep = run_both(worker, case_model(table, name), tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    nodes = [n for p in rep["partitions"] for n in p["nodes"]]
    tr = [n for n in nodes if n["op"] == "TRANSPOSE"]
    idle = [n for n in tr if not n["kernels"]]
    assert len(idle) == 4 and len(tr) == 4
    assert sum("reads this TRANSPOSE's input through its permutation" in n["fused"] for n in idle) == 3
    assert sum("stores its output through this TRANSPOSE's permutation" in n["fused"] for n in idle) == 1


@pytest.mark.parametrize("table, name", [("op", "concat_reshape"), ("whole", "attention")])
def test_reshape_shares_its_input_buffer(table, name, case_model, worker, tmp_path, gpu_cache):
    """A RESHAPE runs no kernel: its output tensor is its input's device buffer (read back from there when
    it is a partition output, as in concat_reshape; read by the next op in the attention block)."""
    refs, gpus, rep = run_both(worker, case_model(table, name), tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    reshapes = [n for p in rep["partitions"] for n in p["nodes"] if n["op"] == "RESHAPE"]
    assert reshapes and all(n["kernels"] == [] and "input's device buffer" in n["fused"] for n in reshapes)
    assert sum(p["launches"] for p in rep["partitions"]) == sum(
        len(n["kernels"]) for p in rep["partitions"] for n in p["nodes"])


def _squeeze_excite(gate_first: bool):
    """conv -> MEAN -> FC -> LOGISTIC gate -> MUL with the conv output (broadcast over H x W)."""
    import tensorflow as tf
    rng = np.random.default_rng(7)
    W, F = om.rand_w(rng, 1, 1, 3, 8), om.rand_w(rng, 8, 8)

    def fn(x):
        y = tf.nn.conv2d(x, W, strides=1, padding="SAME")
        g = tf.sigmoid(tf.reshape(tf.matmul(tf.reduce_mean(y, axis=[1, 2]), F), [1, 1, 1, 8]))
        return g * y if gate_first else y * g
    return om.convert(fn, [(1, 11, 9, 3)])


@pytest.mark.parametrize("gate_first", [False, True])
def test_squeeze_excite_gate_is_fused_into_the_mul(gate_first, worker, tmp_path, gpu_cache):
    model = _squeeze_excite(gate_first)
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    nodes = {n["op"]: n for p in rep["partitions"] for n in p["nodes"]}
    assert [k["kernel"] for k in nodes["MUL"]["kernels"]] == ["mul_lut_qs8"] and nodes["LOGISTIC"]["kernels"] == []
    assert "gate" in nodes["MUL"]["fused"] and len(rep["partitions"]) == 1


def test_integer_dot_path_bit_exact(worker, tmp_path, gpu_cache):
    """The dot-product kernel variant (zero point folded into a weight sum, padded taps
    read as the zero point), run with a software dot so any device exercises it."""
    fn, shapes = om.conv2d(h=9, w=9, cin=8, cout=6, act="relu")  # cin % 4 == 0 takes the dot path
    refs, gpus, rep = run_both(worker, om.convert(fn, shapes), tmp_path, gpu_cache, integer_dot="emulate")
    assert rep["integer_dot"] == "emulated" and "-DEQ_DOT_EMULATE" in rep["program"]["build_options"]
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, {"CONV_2D"})
    fn, shapes = om.dense(batch=2, cin=64, cout=10)
    refs, gpus, rep = run_both(worker, om.convert(fn, shapes), tmp_path, gpu_cache, integer_dot="emulate")
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, {"FULLY_CONNECTED"})


def test_ops_option_limits_claims(case_model, worker, tmp_path, gpu_cache):
    refs, gpus, rep = run_both(worker, case_model("whole", "mlp"), tmp_path, gpu_cache, ops="SOFTMAX")
    assert_bit_exact(refs, gpus)
    assert {c["op"] for c in rep["claimed"]} == {"SOFTMAX"}
    assert any(r["reason"] == "disabled by the ops option" for r in rep["rejected"])


# ---- whole models ----

def test_digits_cnn_bit_exact(demo, worker, tmp_path, gpu_cache):
    import edgeq

    model = edgeq.convert(str(demo.keras_path), str(demo.calib)).model
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0, 1, 2))
    assert_bit_exact(refs, gpus)
    assert_ran_on_device(rep, {"CONV_2D", "FULLY_CONNECTED"})


def test_mobilenet_style_bit_exact(worker, tmp_path, gpu_cache):
    import edgeq
    from edgeq import zoo
    from edgeq.datasets import Samples

    x = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)
    model = edgeq.convert(zoo.mobilenet_style(), Samples([x])).model
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    # hard-swish, the squeeze-excite logistic and its broadcast MUL too: one partition, one round trip
    assert_ran_on_device(rep, {"CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX", "HARD_SWISH",
                               "LOGISTIC", "MUL"})
    assert rep["rejected"] == [] and len(rep["partitions"]) == 1
    assert rep["partitions"][0]["uploads"] == 1 and rep["partitions"][0]["readbacks"] == 1
    # random weights make its softmax one value everywhere: compare the logits and the deepest tensor
    # that does not collapse as well (extra outputs: more readbacks, same kernels)
    from edgeq.suite.informative import informative_tensors, spread, with_outputs

    x = [np.random.default_rng(0).integers(-128, 128, (1, 32, 32, 3)).astype(np.int8)]
    wide = with_outputs(model, informative_tensors(model, x))
    refs, gpus, _ = run_both(worker, wide, tmp_path, gpu_cache)
    assert_bit_exact(refs, gpus)
    assert sum(not spread(o)["degenerate"] for o in refs[0]) >= 2, [spread(o) for o in refs[0]]


# ---- program cache ----

def test_program_cache_hit_on_second_interpreter(worker, tmp_path):
    fn, shapes = om.dense(batch=1, cin=16, cout=8)
    model = om.convert(fn, shapes)
    cache = tmp_path / "fresh_cache"
    reps = []
    for i in range(2):
        (tmp_path / str(i)).mkdir()
        worker.close()  # a new process each time: within one, the device and its program are reused (no cache read)
        reps.append(run_both(worker, model, tmp_path / str(i), cache, seeds=(0,))[2])
    first, second = reps[0]["program"], reps[1]["program"]
    assert first["cache_hit"] is False and first["compile_ms"] > 0
    assert Path(first["cache_file"]).is_file() and Path(first["cache_file"]).parent == cache
    assert second["cache_hit"] is True and second["compile_ms"] == 0
    assert second["cache_file"] == first["cache_file"]
    assert second["cache_load_ms"] < first["compile_ms"]
    assert not list(cache.glob("*.tmp"))
    # a damaged cache entry is rebuilt from source, not trusted
    Path(first["cache_file"]).write_bytes(b"\0garbage" * 64)
    (tmp_path / "2").mkdir()
    worker.close()
    refs, gpus, rep = run_both(worker, model, tmp_path / "2", cache, seeds=(0,))
    assert_bit_exact(refs, gpus)
    assert rep["program"]["cache_hit"] is False and "rebuilt from source" in rep["program"]["cache_note"]
    assert Path(first["cache_file"]).read_bytes()[:8] != b"\0garbage"


# ---- process-wide reuse of the device ----

_REUSE_SCRIPT = r"""
import gc, json, sys, threading
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
tmp, base = sys.argv[2], json.loads(sys.argv[3])
ref = Interpreter(model, resolver="reference")
x = np.random.default_rng(0).integers(-128, 128, size=ref.inputs[0].shape, dtype=np.int8)
want = ref.run([x])[0]
out = {}

def make(tag, **extra):
    path = f"{tmp}/{tag}.json"
    it = Interpreter(model, resolver="reference", delegates=["gpu"],
                     delegate_options={**base, "report_path": path, **extra})
    return it, path

def check(tag, it, path):
    got = it.run([x])[0]
    rep = json.load(open(path))
    out[tag] = {"equal": bool(np.array_equal(got, want)), "reused": rep["device_reused"],
                "sharing": rep["delegates_on_context"], "startup": rep["startup_ms"], "program": rep["program"],
                "ran": sum(p["invocations"] for p in rep["partitions"])}

a, pa = make("a")
b, pb = make("b")                        # same options: a's context and program, a queue of its own
c, pc = make("c", integer_dot="emulate")  # another program: a device of its own
check("a", a, pa); check("b", b, pb); check("c", c, pc)
del a; gc.collect()                      # the first one goes first: b keeps the context
check("b_after_a", b, pb)
d, pd = make("d")                        # joins b's
check("d", d, pd)
del b, d, c; gc.collect()
e, pe = make("e")                        # nobody holds it: kept for the process (EDGEQ_GPU_KEEP_DEVICE=0: afresh)
check("e", e, pe)
del e; gc.collect()
its, errs = [None] * 4, []
def worker(i):
    try:
        its[i] = make(f"t{i}")
    except Exception as exc:
        errs.append(repr(exc))
ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
for i, (it, path) in enumerate(its):
    check(f"t{i}", it, path)
out["thread_errors"] = errs
out["thread_reused"] = sorted(out[f"t{i}"]["reused"] for i in range(4))
print(json.dumps(out))
"""


@pytest.mark.parametrize("keep", ["1", "0"])
def test_delegates_of_one_process_share_the_device(keep, worker, tmp_path):
    """A second delegate with the same device options reuses the first one's context and program (no
    compile, no cache load, only a queue); destroying the first keeps it for the second; other options
    (integer_dot=emulate: another program) open their own; when the last holder goes, the next delegate
    reuses what it left (EDGEQ_GPU_KEEP_DEVICE=0: opens afresh, from the program cache); four threads
    creating delegates at once share one (the first of them opens it when none is kept). Bit-exact
    throughout, and the process exits cleanly with delegates still alive (Python may free a delegate
    before its interpreter's partitions there)."""
    worker.close()
    fn, shapes = om.dense(batch=1, cin=256, cout=40, act="relu", seed=3)
    path = tmp_path / "m.tflite"
    path.write_bytes(om.convert(fn, shapes))
    opts = {"cache_dir": str(tmp_path / "cache"), "offload": "all", **_platform_opts()}
    res = subprocess.run([sys.executable, "-c", _REUSE_SCRIPT, str(path), str(tmp_path), json.dumps(opts)],
                         capture_output=True, text=True, timeout=600, cwd=REPO,
                         env={**os.environ, "EDGEQ_GPU_KEEP_DEVICE": keep})
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for tag in ("a", "b", "c", "b_after_a", "d", "e", "t0", "t1", "t2", "t3"):
        assert out[tag]["equal"] and out[tag]["ran"] >= 1, (tag, out[tag])
    assert out["a"]["reused"] is False and out["a"]["program"]["compile_ms"] > 0
    assert out["b"]["reused"] is True and out["b"]["sharing"] == 2
    assert out["b"]["program"]["compile_ms"] == 0 and out["b"]["program"]["cache_load_ms"] == 0
    assert out["b"]["startup"]["program"] == 0 and out["b"]["startup"]["load_opencl"] == 0
    assert out["c"]["reused"] is False and out["c"]["program"]["build_options"] != out["a"]["program"]["build_options"]
    assert out["b_after_a"]["sharing"] == 1
    assert out["d"]["reused"] is True and out["d"]["sharing"] == 2
    if keep == "1":
        assert out["e"]["reused"] is True and out["e"]["sharing"] == 1
        assert out["thread_errors"] == [] and out["thread_reused"] == [True, True, True, True]
    else:
        assert out["e"]["reused"] is False and out["e"]["program"]["cache_hit"] is True
        assert out["thread_errors"] == [] and out["thread_reused"] == [False, True, True, True]


# ---- failure modes ----

_FALLBACK_SCRIPT = r"""
import json, sys
import numpy as np
if sys.argv[3] == "tf":
    import tensorflow  # noqa: F401 - exports LLVM symbols that collide with PoCL's
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
ref = Interpreter(model, resolver="reference")
x = np.random.default_rng(0).integers(-128, 128, size=ref.inputs[0].shape, dtype=np.int8)
gpu = Interpreter(model, resolver="reference", delegates=["gpu"],
                  delegate_options={"report_path": sys.argv[2], **json.loads(sys.argv[4])})
print(json.dumps({"equal": bool(np.array_equal(ref.run([x])[0], gpu.run([x])[0]))}))
"""


def _fallback_run(worker: GpuWorker, tmp_path: Path, env_extra: dict, tf: bool = False, opts: dict | None = None):
    # one GPU user at a time: on an H100 a child process did not see the NVIDIA platform
    # while another process held an OpenCL context on it
    worker.close()
    fn, shapes = om.conv2d(h=6, w=6, cin=3, cout=4)
    path = tmp_path / "m.tflite"
    path.write_bytes(om.convert(fn, shapes))
    report = tmp_path / "r.json"
    env = {**os.environ, **env_extra}
    res = subprocess.run([sys.executable, "-c", _FALLBACK_SCRIPT, str(path), str(report), "tf" if tf else "-",
                          json.dumps(opts or {})], env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"equal": True}
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("edgeq gpu delegate:")]
    return json.loads(report.read_text()), lines


def _icd_loader() -> str:
    """The Khronos ICD loader from ocl-icd-libopencl1 (honours OCL_ICD_VENDORS)."""
    found = sorted(Path("/usr/lib").glob("*/libOpenCL.so.1")) + sorted(Path("/usr/lib").glob("libOpenCL.so.1"))
    assert found, "libOpenCL.so.1 from ocl-icd-libopencl1 is missing: apt install ocl-icd-libopencl1"
    return str(found[0])


def test_no_opencl_platform_falls_back_to_runtime(worker, tmp_path):
    empty = tmp_path / "no_vendors"
    empty.mkdir()
    rep, lines = _fallback_run(worker, tmp_path, {"OCL_ICD_VENDORS": str(empty), "EDGEQ_OPENCL_LIBRARY": _icd_loader()})
    assert len(lines) == 1 and "no OpenCL platform found" in lines[0] and "CPU runtime" in lines[0]
    assert rep["status"] == "unavailable" and rep["claimed"] == [] and rep["partitions"] == []
    assert any(r["reason"] == "no usable OpenCL device" for r in rep["rejected"])


def test_missing_opencl_library_falls_back_to_runtime(worker, tmp_path):
    rep, lines = _fallback_run(worker, tmp_path, {"EDGEQ_OPENCL_LIBRARY": str(tmp_path / "libOpenCL_absent.so.1")})
    assert len(lines) == 1 and "no OpenCL runtime" in lines[0]
    assert rep["status"] == "unavailable" and rep["claimed"] == []


def test_kernel_build_failure_falls_back_to_runtime(worker, tmp_path):
    # a macro that breaks the kernel source: the driver's compiler rejects it with a log
    # an explicit platform opens the device at load_delegate time: still a fallback, not an error
    platform = _platform_opts()["platform"]
    rep, lines = _fallback_run(worker, tmp_path, {"EDGEQ_GPU_BUILD_OPTIONS": "-Dacc=)"},
                               opts={"platform": platform, "cache_dir": str(tmp_path / "cache")})
    assert len(lines) == 1 and "the OpenCL kernels failed to build" in lines[0] and "-Dacc=)" in lines[0]
    build_log = lines[0].split("-Dacc=)", 1)[1]
    assert "error" in build_log.lower() and "CPU runtime" in build_log  # the log's first lines, then the fallback
    assert rep["status"] == "unavailable" and rep["claimed"] == []


def test_in_process_next_to_tensorflow(worker, tmp_path):
    """With TensorFlow imported (its LLVM symbols crash PoCL in the global namespace), the
    delegate loads the driver stack into a private link namespace (probed in a child first)
    and the node runs on the requested device: asserted, not merely "ran or fell back"."""
    platform = _platform_opts()["platform"]
    rep, lines = _fallback_run(worker, tmp_path, {}, tf=True, opts={"platform": platform,
                                                                   "cache_dir": str(tmp_path / "cache")})
    assert rep["status"] == "ok", f"fell back to the runtime next to TensorFlow: {rep['message']}"
    assert platform.lower() in rep["platform"].lower() and not lines
    assert [c["op"] for c in rep["claimed"]] == ["CONV_2D"]
    assert rep["partitions"] and all(p["invocations"] > 0 for p in rep["partitions"])
    if platform == POCL:
        assert rep["opencl_namespace"] == "isolated" and rep["device_type"] == "cpu"


def test_too_little_device_memory_keeps_nodes_on_runtime(worker, tmp_path, gpu_cache):
    fn, shapes = om.dense(batch=1, cin=1024, cout=1100)  # 1.1 MB of weights
    refs, gpus, rep = run_both(worker, om.convert(fn, shapes), tmp_path, gpu_cache, seeds=(0,), memory_limit_mb=1)
    assert_bit_exact(refs, gpus)
    assert rep["claimed"] == [] and rep["partitions"] == []
    assert "device memory" in rep["message"]
    assert all(r["reason"] == "not enough device memory" for r in rep["rejected"])


_NOT_PAD = "FULLY_CONNECTED,MEAN"


def _fc_then_small_tail():
    """A 64x512x512 FULLY_CONNECTED, a PAD (left out with the ops option: it splits the graph) and a
    MEAN of the padded rows: two partitions, one worth a round trip and one that is not."""
    import tensorflow as tf
    rng = np.random.default_rng(5)
    W, B = om.rand_w(rng, 512, 512, scale=0.05), om.rand_w(rng, 512)

    def fn(x):
        y = tf.pad(tf.matmul(x, W) + B, [[0, 0], [1, 1]])
        return tf.reduce_mean(y, axis=[1], keepdims=True)
    return om.convert(fn, [(64, 512)])


#: an H200-like device rate and one CPU thread, so the decisions do not depend on the test machine's CPU device
_RATES = {"device_gops": "2500", "cpu_threads": "1"}


def test_offload_model_declines_the_transfer_bound_partition(worker, tmp_path, gpu_cache):
    model = _fc_then_small_tail()
    assert om.op_names(model) == ["FULLY_CONNECTED", "PAD", "MEAN"]
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0,), offload="model", ops=_NOT_PAD,
                               **_RATES)
    assert_bit_exact(refs, gpus)
    off = rep["offload"]
    assert off["mode"] == "model" and off["applied"]
    rates = off["model"]
    assert rates["device_ops_per_us"] == 2.5e6 and rates["device_rate_from"] == "option"
    assert rates["cpu_threads"] == 1 and rates["cpu_threads_from"] == "option" and rates["cpu_node_us"] == 1
    kept, declined = ([g for g in off["groups"] if g["kept"] is k] for k in (True, False))
    # the GEMM: 2 x 64 x 512 x 512 ops against one 32 KB upload and one 32 KB readback
    assert len(kept) == 1 and kept[0]["nodes"] == 1 and kept[0]["mac_ops"] == 2 * 64 * 512 * 512
    assert kept[0]["bytes_in"] == kept[0]["bytes_out"] == 64 * 512
    # 30 sync + 2 x 10 transfers + 65536 B at 10 GB/s + 9 launch + 33.5 M ops at 2.5 T ops/s
    assert kept[0]["device_compute_us"] == pytest.approx(2 * 64 * 512 * 512 / 2.5e6, abs=1e-3)  # %.3f
    assert kept[0]["device_us"] == pytest.approx(30 + 20 + 6.5536 + 9 + 2 * 64 * 512 * 512 / 2.5e6, abs=1e-3)
    assert kept[0]["weight_bytes"] == 512 * 512  # 33 us at 8 GB/s: the arithmetic (335 us) is the slower
    # one thread: 33.5 M ops at 100 G ops/s + 65536 elements at 2400 per us + 1 us
    assert kept[0]["cpu_us"] == pytest.approx(2 * 64 * 512 * 512 / 1e5 + 2 * 64 * 512 / 2400 + 1, abs=1e-3)
    # the MEAN: 64 x 514 bytes up, 64 down, for 64 x 515 elements of work
    assert len(declined) == 1 and declined[0]["bytes_in"] == 64 * 514 and declined[0]["bytes_out"] == 64
    assert declined[0]["mac_ops"] == 0 and declined[0]["elements"] == 64 * 515
    assert declined[0]["device_us"] >= declined[0]["cpu_us"]
    assert [c["op"] for c in rep["claimed"]] == ["FULLY_CONNECTED"]
    mean = [r for r in rep["rejected"] if r["op"] == "MEAN"]
    assert len(mean) == 1 and "offload model" in mean[0]["reason"] and "offload=all" in mean[0]["reason"]
    assert len(rep["partitions"]) == 1 and rep["partitions"][0]["invocations"] >= 1
    assert [n["op"] for n in rep["partitions"][0]["nodes"]] == ["FULLY_CONNECTED"]


def test_offload_model_counts_fused_launches(worker, tmp_path, gpu_cache):
    """FULLY_CONNECTED -> GELU runs one kernel (GELU in its epilogue): the device estimate counts one launch of
    9 us for the two nodes, as the partition will run them."""
    fn, shapes = om.table_after("fc", "gelu", batch=1)
    refs, gpus, rep = run_both(worker, om.convert(fn, shapes), tmp_path, gpu_cache, seeds=(0,), offload="model",
                               **_RATES)
    assert_bit_exact(refs, gpus)
    g = rep["offload"]["groups"][0]
    assert len(rep["offload"]["groups"]) == 1 and g["nodes"] == 2 and g["launches"] == 1
    # 30 sync + 2 x 10 transfers + 240 B at 10 GB/s + one 9 us launch + 16000 ops at 2.5 T ops/s
    assert g["device_us"] == pytest.approx(30 + 20 + 240 / 1e4 + 9 + 2 * 200 * 40 / 2.5e6, abs=1e-3)


def test_offload_model_counts_the_cpu_streaming_the_weights(worker, tmp_path, gpu_cache):
    """One row through 1.1 MB of weights: 2.3 M ops (22.5 us at 100 G ops/s) but 141 us of weight traffic at
    8 GB/s per thread; the CPU estimate takes the slower, so the device's (~70 us) wins at one thread."""
    fn, shapes = om.dense(batch=1, cin=1024, cout=1100)
    refs, gpus, rep = run_both(worker, om.convert(fn, shapes), tmp_path, gpu_cache, seeds=(0,), offload="model",
                               ops="FULLY_CONNECTED", **_RATES)
    assert_bit_exact(refs, gpus)
    assert rep["offload"]["model"]["cpu_weight_bytes_per_us_per_thread"] == 8000
    g = [g for g in rep["offload"]["groups"] if g["mac_ops"] > 0][0]
    assert g["weight_bytes"] == 1024 * 1100 and g["mac_ops"] == 2 * 1024 * 1100
    assert g["cpu_us"] == pytest.approx(1024 * 1100 / 8000 + (1024 + 1100) / 2400 + 1, abs=1e-3)
    assert g["kept"] and [c["op"] for c in rep["claimed"]] == ["FULLY_CONNECTED"]


@pytest.mark.parametrize("key", ["cpu_threads", "num_threads"])
def test_offload_model_declines_what_the_cpu_threads_do_faster(key, worker, tmp_path, gpu_cache):
    """The same GEMM against a 16-thread CPU path (cpu_threads: an edgeq-cpu delegate behind this one): its
    estimate (~28 us) is below the device's (~79 us), so nothing is delegated and the runtime runs the model.
    num_threads is the CPU delegate's option, so one options set configures a ["gpu", "cpu"] stack. The
    runtime's own thread count does not count: its builtin kernels need not scale with threads."""
    model = _fc_then_small_tail()
    opts = dict(offload="model", ops=_NOT_PAD, device_gops="2500")
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0,), **{key: "16"}, **opts)
    assert_bit_exact(refs, gpus)
    rates = rep["offload"]["model"]
    assert rates["cpu_threads"] == 16 and rates["cpu_threads_from"] == "option"
    assert rates["cpu_node_us"] == pytest.approx(1 + 0.3 * 15)
    assert rep["claimed"] == [] and rep["partitions"] == []
    fc = [r for r in rep["rejected"] if r["op"] == "FULLY_CONNECTED"]
    assert len(fc) == 1 and "CPU path it replaces" in fc[0]["reason"]
    g = [g for g in rep["offload"]["groups"] if g["nodes"] == 1 and g["mac_ops"] > 0][0]
    assert not g["kept"]
    assert g["cpu_us"] == pytest.approx((2 * 64 * 512 * 512 / 1e5 + 2 * 64 * 512 / 2400) / 16 + 5.5, abs=1e-3)
    # default: one thread, whatever the runtime's num_threads; the GEMM stays on the device
    refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0,), runtime_threads=16, **opts)
    assert_bit_exact(refs, gpus)
    assert [c["op"] for c in rep["claimed"]] == ["FULLY_CONNECTED"]
    assert rep["offload"]["model"]["cpu_threads"] == 1
    assert rep["offload"]["model"]["cpu_threads_from"].startswith("default")


def test_offload_all_and_cpu_device_auto_keep_every_partition(worker, tmp_path, gpu_cache):
    model = _fc_then_small_tail()
    for mode in ("all", "auto"):
        refs, gpus, rep = run_both(worker, model, tmp_path, gpu_cache, seeds=(0,), offload=mode, ops=_NOT_PAD)
        assert_bit_exact(refs, gpus)
        # auto applies the model on GPU / accelerator devices only; PoCL is a CPU device
        applied = mode == "auto" and rep["device_type"] != "cpu"
        assert rep["offload"]["mode"] == mode and rep["offload"]["applied"] is applied
        want = ["FULLY_CONNECTED"] if applied else ["FULLY_CONNECTED", "MEAN"]
        assert sorted(c["op"] for c in rep["claimed"]) == want, mode
        assert len(rep["partitions"]) == len(want)


@pytest.mark.parametrize("opts, needle", [
    ({"precision": "fast"}, "precision='fast' is not supported"),
    ({"bogus": "1"}, "unknown option 'bogus'"),
    ({"ops": "CONV_2D,NOT_AN_OP"}, "unknown op 'NOT_AN_OP'"),
    ({"platform": "no-such-platform-xyz"}, "no OpenCL platform name contains 'no-such-platform-xyz'"),
    ({"device": "7"}, "device=7 is out of range"),
    ({"integer_dot": "maybe"}, "integer_dot='maybe' is invalid"),
    ({"offload": "some"}, "offload='some' is invalid"),
    ({"cpu_threads": "0"}, "cpu_threads='0' is invalid"),
    ({"device_gops": "fast"}, "device_gops='fast' is invalid"),
])
def test_bad_option_is_a_clear_error(opts, needle, worker):
    fn, shapes = om.dense(batch=1, cin=8, cout=4)
    resp = worker.request(om.convert(fn, shapes), opts, seeds=(0,))
    assert not resp["ok"] and resp["type"] == "DelegateError", resp  # an edgeq.errors.EdgeqError
    assert needle in resp["error"] and "\n" not in resp["error"]


def test_bad_option_raises_edgeq_error_in_process():
    """Option errors come before any OpenCL is touched, so they surface the same way here."""
    fn, shapes = om.dense(batch=1, cin=8, cout=4)
    with pytest.raises(DelegateError, match="precision='fast' is not supported: use precision=exact") as e:
        Interpreter(om.convert(fn, shapes), resolver="reference", delegates=["gpu"],
                    delegate_options={"precision": "fast"})
    assert isinstance(e.value, EdgeqError)


def test_op_the_gpu_lacks_is_named_in_one_line():
    """ops=<an op only the CPU delegate has> fails in one line naming it and the GPU's ops, through
    edgeq.runtime and as the last line of a stock runtime's error (after its generic first line)."""
    lacking = sorted(dc.SUPPORTED["cpu"] - dc.SUPPORTED["gpu"])
    assert lacking, "the GPU has every CPU op: pick another op for this test"
    op = lacking[0]
    fn, shapes = om.dense(batch=1, cin=8, cout=4)
    with pytest.raises(DelegateError) as e:
        Interpreter(om.convert(fn, shapes), resolver="reference", delegates=["gpu"], delegate_options={"ops": op})
    msg = str(e.value)
    assert "\n" not in msg and f"unknown op '{op}' in option ops" in msg
    has = msg.split("this delegate has ", 1)[1].split(";", 1)[0].split(", ")
    assert set(has) == dc.SUPPORTED["gpu"] and f"leave {op} out" in msg
    from ai_edge_litert.interpreter import load_delegate
    with pytest.raises(ValueError) as e:
        load_delegate(str(delegate_path("gpu")), {"ops": op})
    assert str(e.value).strip().splitlines()[-1] == msg.split("failed to load: ", 1)[1]


def test_library_exports_only_plugin_symbols():
    lib = delegate_path("gpu")
    out = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True, text=True, check=True).stdout
    syms = {ln.split()[-1] for ln in out.splitlines() if ln.strip() and ln.split()[1] in "TtDdBb"}
    assert syms == {"tflite_plugin_create_delegate", "tflite_plugin_destroy_delegate"}
