"""The CPU delegate built with AddressSanitizer and UndefinedBehaviorSanitizer runs the model suite.

The build (EDGEQ_SANITIZE=address,undefined) aborts on the first undefined operation or memory
error; each model runs in its own process with libasan preloaded (Python itself is not
instrumented) and without TensorFlow. The models are the suite's small-size builds that
tests/suite/test_suite_models.py already makes (same cache keys), so this adds no conversions.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgeq import suite

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("_sanitized_run.py")

# (name, size, variant, extra batch sizes to resize to)
MODELS = [(n, 32, "tf-int8", ()) for n in suite.names("keras.applications")] + [
    ("mobilenet_v2", 32, "int8", ()),
    ("mobilenet_v3_small", 32, "tf-int8-dynbatch", (3,)),
    ("encoder_l6", 8, "int8", ()),
    ("mlp", 64, "int8", (4,)),
    ("mlp", 64, "int4", ()),
]


def _libasan() -> str:
    path = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(path):
        pytest.skip("gcc has no libasan here")
    return path


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory):
    asan = _libasan()
    build = tmp_path_factory.mktemp("edgeq_cpu_asan")
    for cmd in (["cmake", "-S", str(REPO / "delegates"), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                 "-DEDGEQ_SANITIZE=address,undefined"],
                ["cmake", "--build", str(build), "-j2", "--target", "edgeq_cpu"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    lib = build / "libedgeq_cpu.so"
    syms = subprocess.run(["nm", "-D", str(lib)], capture_output=True, text=True).stdout
    assert "__asan_" in syms and "__ubsan_handle_" in syms, "the build is not instrumented"
    env = dict(os.environ, LD_PRELOAD=asan, ASAN_OPTIONS="detect_leaks=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    return lib, env


def _run(sanitized, model: Path, *batches: int) -> subprocess.CompletedProcess:
    lib, env = sanitized
    return subprocess.run([sys.executable, str(RUNNER), str(lib), str(model), *map(str, batches)], env=env,
                          capture_output=True, text=True, timeout=600)


def _report(r: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in r.stderr.splitlines() if "runtime error" in ln or "ERROR: AddressSanitizer" in ln
             or ln.lstrip().startswith("#")]
    return "\n".join(lines[:12]) or r.stderr[-2000:]


@pytest.mark.parametrize("name,size,variant,batches", MODELS, ids=[f"{m[0]}-{m[2]}" for m in MODELS])
def test_suite_model_runs_clean_under_asan_and_ubsan(sanitized, name, size, variant, batches):
    m = suite.get(name, size, variant, samples=2)
    r = _run(sanitized, m.path, *batches)
    assert r.returncode == 0, _report(r)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [s[0] for s in out["output_shapes"][1:]] == list(batches)
    # the delegate's kernels ran: it claims >= 90 % of every suite model's nodes (ConvNeXt-T 94 %, the rest 95-100 %)
    assert out["claimed"] >= 0.9 * (out["claimed"] + out["declined"]), out


def test_the_sanitizers_catch_undefined_behaviour(sanitized, tmp_path):
    # the canary: an int32 shifted by 32 inside a library built the same way must abort
    src = tmp_path / "ub.c"
    src.write_text("int f(int x, int s) { return x << s; }\n")
    lib = tmp_path / "libub.so"
    r = subprocess.run(["gcc", "-shared", "-fPIC", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                        str(src), "-o", str(lib)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    code = f"import ctypes; print(ctypes.CDLL({str(lib)!r}).f(1, 32))"
    r = subprocess.run([sys.executable, "-c", code], env=sanitized[1], capture_output=True, text=True)
    assert r.returncode != 0 and "shift exponent 32" in r.stderr, r.stderr[-1000:]
