"""Threads never change what the edgeq CPU delegate computes, and its thread pool loses no task.

The ops split their work into tiles planned for the thread count (rows and output channels of a
GEMM, rows and pixel ranges of a depthwise conv, ranges of elementwise ops and of broadcasting
walks), so each thread count
cuts the work differently. Models here are large enough for every op to be split, and every
op's output is made a model output, so each intermediate activation is compared (the final
softmax of a random-weight net alone would hide most differences). At 1 to 5 threads the delegate
must give the outputs of BUILTIN_REF exactly. The pool itself runs a stress program, built for
real, with the Linux futex wait and with the portable one.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import _opmodels as om
import delegate_cases as dc
from edgeq import tflite_schema as ts
from edgeq.runtime import Interpreter

REPO = Path(__file__).resolve().parents[2]
CPU_DIR = REPO / "delegates" / "cpu"
STRESS = Path(__file__).resolve().parent / "threadpool" / "threadpool_stress.c"


def every_output(model: bytes) -> bytes:
    """The model with every op's output tensor also a model output."""
    m = ts.read_model(model)
    sg = m.subgraphs[0]
    outs = [int(t) for t in sg.outputs]
    for op in sg.operators:
        outs += [int(t) for t in op.outputs if int(t) not in outs]
    sg.outputs = outs
    return ts.write_model(m)


def wide_mlp(batch: int, width: int, seed: int = 4):
    """Two FULLY_CONNECTED layers `width` wide, the first with ReLU."""
    tf = om._tf()
    rng = np.random.default_rng(seed)
    w1, b1 = om.rand_w(rng, width, width), om.rand_w(rng, width)
    w2, b2 = om.rand_w(rng, width, width // 2), om.rand_w(rng, width // 2)

    def fn(x):
        return tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    return fn, [(batch, width)]


MODELS = {
    # big spatial: conv rows, depthwise rows, squeeze-excite MUL and MEAN (channel ranges) over 32x32x128
    "block_64": dc.Case(lambda: om.mobilenet_block(seed=5, size=64, width=128), frozenset()),
    # 7x7 maps, 256 channels: conv and depthwise split channels and pixels of a row
    "block_14_wide": dc.Case(lambda: om.mobilenet_block(seed=6, size=14, width=256), frozenset()),
    # squeeze-excite's tall, narrow MEAN (40 channels, 9216 rows): row ranges summed apart, added up
    "mean_narrow": dc.Case(lambda: om.mean(shape=(1, 96, 96, 40), axis=(1, 2)), frozenset()),
    "mlp_b1": dc.Case(lambda: wide_mlp(1, 1024), frozenset()),
    # broadcasting walks (qs8-vbinary-nd) and tables cut into ranges
    "add_bcast": dc.Case(lambda: om.binary(op="add", a=(1, 64, 64, 32), b=(1, 1, 1, 32)), frozenset()),
    "prelu": dc.Case(lambda: om.prelu(shape=(1, 64, 64, 32)), frozenset()),
    "squared_difference": dc.Case(lambda: om.squared_difference(a=(4, 64, 128), b=(4, 64, 1)), frozenset()),
    "gelu": dc.Case(lambda: om.gelu(shape=(2, 128, 128)), frozenset()),
    "mlp_b5_int4": dc.Case(lambda: wide_mlp(5, 512), frozenset(), int4=True),
}


@pytest.fixture(scope="module")
def models():
    cache: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in cache:
            cache[name] = every_output(dc.build_model(MODELS[name]))
        return cache[name]
    return get


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_thread_count_gives_the_reference_outputs(name, models, tmp_path):
    model = models(name)
    ref = Interpreter(model, resolver="reference")
    rng = np.random.default_rng(7)
    inputs = [dc.random_inputs(ref, rng) for _ in range(2)]
    want = [ref.run(xs) for xs in inputs]
    n_ops = len(om.op_names(model))
    for threads in (1, 2, 3, 4, 5):
        report = tmp_path / f"claimed_{threads}.json"
        dlg = Interpreter(model, resolver="reference", delegates=["cpu"],
                          delegate_options={"num_threads": threads, "report_path": str(report)})
        assert len(json.loads(report.read_text())["claimed"]) == n_ops, f"{threads} threads: not all claimed"
        for xs, w in zip(inputs, want):
            got = dlg.run(xs)
            assert len(got) == len(w) == n_ops  # one output per op
            for i, (a, b) in enumerate(zip(w, got)):
                assert np.array_equal(a, b), (f"{threads} threads: output {i} {a.shape}: "
                                              f"{int(np.sum(a != b))}/{a.size} differ from BUILTIN_REF")


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
@pytest.mark.parametrize("variant", ["futex", "portable"])
def test_pool_runs_every_task_once(variant, tmp_path):
    exe = tmp_path / "stress"
    flags = ["-DEQ_POOL_NO_FUTEX"] if variant == "portable" else []
    r = subprocess.run(["cc", "-O2", "-std=gnu11", "-pthread", *flags, f"-I{CPU_DIR}", str(CPU_DIR / "threadpool.c"),
                        str(STRESS), "-o", str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe), "3000"], capture_output=True, text=True, timeout=120)
    rows = re.findall(r"threads=(\d+) jobs=(\d+) tasks=(\d+) errors=(\d+)", r.stdout)
    assert [int(t) for t, *_ in rows] == [2, 3, 4, 8], r.stdout + r.stderr
    assert all(int(tasks) > 3000 * 2 and int(err) == 0 for _, _, tasks, err in rows), r.stdout
    assert r.returncode == 0, r.stdout + r.stderr
