"""Helpers of the MCU compiler tests: compile a model, build it with a C compiler (host, aarch64
cross under qemu-user), run it, and compare every output with LiteRT's BUILTIN_REF."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "apps" / "c_classify" / "main.c"
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function"]


def reference(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def random_inputs(model: bytes, n: int, seed: int = 0) -> list[list[np.ndarray]]:
    """n samples spread over each input's quantized range (edgeq.mcu.runner's inputs, seeds seed..)."""
    from edgeq.mcu.runner import model_inputs
    return [model_inputs(model, seed * 1000 + i) for i in range(n)]


def compile_to(model: bytes, out: Path, target: str = "generic-c", name: str = "model"):
    from edgeq.compile import compile_model, write_output
    cm = compile_model(model, target, name)
    write_output(cm, out)
    return cm


def build_host(src: Path, exe: Path, cc: str = "gcc", extra: list[str] | None = None) -> Path:
    cmd = [cc, *CFLAGS, "-I", str(src), str(APP), str(src / "model.c"),
           *sorted(str(p) for p in (src / "edgeq_kernels").glob("*.c")), "-o", str(exe), *(extra or [])]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return exe


def run_host(exe: Path, model: bytes, inputs: list[np.ndarray], work: Path, runner: list[str] | None = None
             ) -> list[np.ndarray]:
    ref = reference(model, inputs)
    blob = b"".join(np.ascontiguousarray(x).tobytes() for x in inputs)
    (work / "in.bin").write_bytes(blob)
    r = subprocess.run([*(runner or []), str(exe), str(work / "in.bin"), str(work / "out.bin")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    raw = (work / "out.bin").read_bytes()
    outs, pos = [], 0
    for y in ref:
        n = y.nbytes
        outs.append(np.frombuffer(raw[pos:pos + n], dtype=y.dtype).reshape(y.shape))
        pos += n
    assert pos == len(raw)
    return outs


def assert_bit_exact(model: bytes, exe: Path, work: Path, n: int = 3, seed: int = 0,
                     runner: list[str] | None = None, min_distinct: int = 2) -> None:
    """Every output of every sample equals BUILTIN_REF's; the reference outputs must vary
    (a saturated model would hide errors)."""
    seen = set()
    for xs in random_inputs(model, n, seed):
        ref = reference(model, xs)
        got = run_host(exe, model, xs, work, runner)
        for r, g in zip(ref, got):
            bad = np.flatnonzero(r.reshape(-1) != g.reshape(-1))
            assert bad.size == 0, (f"{bad.size}/{r.size} outputs differ, first at {bad[0]}: "
                                   f"ref {r.reshape(-1)[bad[:8]]} got {g.reshape(-1)[bad[:8]]}")
            seen.update(np.unique(r).tolist())
    assert len(seen) >= min_distinct, f"reference outputs take only {sorted(seen)}: the test model is saturated"


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


_TINY: dict[str, bytes] = {}


def tiny_model(name: str) -> bytes:
    """An MLPerf Tiny architecture converted to int8 (random weights), once per test process."""
    if name not in _TINY:
        from edgeq.mlperf_tiny import int8_model
        _TINY[name] = int8_model(name)
    return _TINY[name]


def demo_int8(demo) -> bytes:
    """The README demo (trained on sklearn's digits) converted by edgeq, once per test process."""
    if "demo" not in _TINY:
        import edgeq
        _TINY["demo"] = bytes(edgeq.convert(demo.keras_path, demo.calib).model)
    return _TINY["demo"]


def logits_exposed(model: bytes) -> bytes:
    """The same model with the inputs of every SOFTMAX (the logits) and FULLY_CONNECTED (the pooled
    features) added as outputs, so a comparison sees more than a few saturated probabilities."""
    from edgeq.tflite_schema import op_name, read_model, write_model
    m = read_model(model)
    sg = m.subgraphs[0]
    outs = [int(i) for i in sg.outputs]
    for op in sg.operators:
        if op_name(m, op) in ("SOFTMAX", "FULLY_CONNECTED") and int(op.inputs[0]) not in outs:
            outs.append(int(op.inputs[0]))
    sg.outputs = outs
    return write_model(m)
