"""The int8 depthwise-conv micro-kernels (delegates/kernels/qs8-dwconv) and the same-shape ADD
kernels (delegates/kernels/qs8-vadd) of the CPU delegate, built and run for real.

The C test program checks every variant the CPU can run (scalar, AVX2, AVX-512BW, AVX-512 VNNI
on x86-64; scalar, NEON and NEON SDOT on aarch64) byte for byte against a direct depthwise convolution written like
TFLite's reference loop, over random shapes, strides, dilations, paddings, channel tails,
int8/int4 weights and extreme values. It runs natively and, cross-built for aarch64, under
qemu-aarch64 with a current CPU model (dotprod: the SDOT variant too) and with a Cortex-A72
(Raspberry Pi 4 class, NEON only). The
delegate-level bit-exactness against LiteRT's BUILTIN_REF kernels is in
test_cpu_delegate_ops.py; here the delegate is also run with its kernels capped at each
x86 ISA (EDGEQ_ISA) on a depthwise model and compared with BUILTIN_REF. The ADD
kernels' C test checks each SIMD variant against the scalar one (natively and under qemu); the
scalar one against BUILTIN_REF is in test_cpu_delegate_ops.py.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KERNELS_DIR = REPO / "delegates" / "kernels"
TOOLCHAIN = REPO / "delegates" / "cmake" / "aarch64-linux-gnu.cmake"
HOST_FLAGS = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("flags")), [])
CASES = "400"

pytestmark = pytest.mark.skipif(os.uname().machine != "x86_64",
                                reason="the suite cross-builds from an x86-64 host")


def _build(build_dir: Path, *extra: str, exe: str = "qs8-dwconv-test") -> Path:
    for cmd in (["cmake", "-S", str(KERNELS_DIR), "-B", str(build_dir), "-DEDGEQ_KERNELS_BUILD_TESTS=ON",
                 "-DCMAKE_BUILD_TYPE=Release", *extra],
                ["cmake", "--build", str(build_dir), "-j2", "--target", exe]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return build_dir / exe


def _build_vadd(build_dir: Path, *extra: str) -> Path:
    return _build(build_dir, *extra, exe="qs8-vadd-test")


def _results(cmd: list[str]) -> tuple[str | None, dict[str, tuple[int, int]]]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    detected = re.search(r"^detected=(\w+)$", proc.stdout, re.M)
    rows = {m[0]: (int(m[1]), int(m[2])) for m in
            re.findall(r"^isa=(\w+) cases=\d+ outputs=(\d+) mismatches=(\d+)$", proc.stdout, re.M)}
    assert proc.returncode == 0, f"mismatches or crash (rc {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    return (detected[1] if detected else None), rows


def test_native_variants_match_reference(tmp_path):
    detected, rows = _results([str(_build(tmp_path / "native")), CASES])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    expected = ["scalar"] + (["avx2"] if "avx2" in HOST_FLAGS else []) + (["avx512"] if avx512 else []) + (
        ["avx512vnni"] if avx512 and "avx512_vnni" in HOST_FLAGS else [])
    assert set(rows) == set(expected)
    assert detected == expected[-1]
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


@pytest.fixture(scope="module")
def aarch64_dw_test(tmp_path_factory) -> Path:
    # -static: runs under qemu-aarch64-static without an aarch64 sysroot
    exe = _build(tmp_path_factory.mktemp("aarch64"), f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # ELF e_machine EM_AARCH64
    return exe


@pytest.mark.parametrize("cpu,best", [("max", "neondot"), ("cortex-a72", "neon")])
def test_aarch64_neon_matches_reference_under_qemu(aarch64_dw_test, cpu, best):
    exe = aarch64_dw_test
    detected, rows = _results(["qemu-aarch64-static", "-cpu", cpu, str(exe), CASES])
    assert detected == best
    assert set(rows) == {"scalar", "neon"} | {best}
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


def test_add_avx2_matches_scalar(tmp_path):
    _, rows = _results([str(_build_vadd(tmp_path / "vadd")), "300"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 50_000 and bad == 0, (isa, outputs, bad)


def test_add_neon_matches_scalar_under_qemu(tmp_path):
    exe = _build_vadd(tmp_path / "vadd_a64", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"
    _, rows = _results(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "300"])
    assert set(rows) == {"neon"}
    assert rows["neon"][0] > 50_000 and rows["neon"][1] == 0, rows


# Big enough that every layer is split across the 2 threads (ops below ~1e5 multiply-adds run
# on one thread): 3x3 conv through im2col (per-thread scratch), depthwise 3x3 s1/s2 and 2x5
# (per-thread indirection rows), a same-shape ADD, and a 1x1 conv with so few output rows that
# threads split its output channels.
MODEL_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras, tensorflow as tf
rng = np.random.default_rng(3)
inp = keras.Input((24, 24, 8), batch_size=2)
x = keras.layers.Conv2D(48, 3, padding="same")(inp)
y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
x = keras.layers.Add()([x, y])
x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)
x = keras.layers.DepthwiseConv2D((2, 5), padding="valid")(x)
x = keras.layers.Conv2D(64, 3, strides=4)(x)
x = keras.layers.Conv2D(512, 1)(x)
model = keras.Model(inp, x)
for layer in model.layers:
    if layer.get_weights():
        layer.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()])
def rep():
    for _ in range(8):
        yield [rng.uniform(-2, 3, size=(2, 24, 24, 8)).astype(np.float32)]
c = tf.lite.TFLiteConverter.from_keras_model(model)
c.optimizations = [tf.lite.Optimize.DEFAULT]
c.representative_dataset = rep
c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
c.inference_input_type = c.inference_output_type = tf.int8
open(sys.argv[1], "wb").write(c.convert())
"""

RUN_SCRIPT = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
ref = Interpreter(model, resolver="reference")
dlg = Interpreter(model, resolver="reference", delegates=["cpu"], delegate_options={"num_threads": 2, "report_path": sys.argv[2]})
bad = total = 0
for seed in range(4):
    x = [np.random.default_rng(seed).integers(-128, 128, s.shape).astype(np.int8) for s in ref.inputs]
    a, b = ref.run(x)[0], dlg.run(x)[0]
    bad += int(np.count_nonzero(a != b)); total += a.size
print(json.dumps({"bad": bad, "total": total}))
"""


@pytest.fixture(scope="module")
def depthwise_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dwmodel") / "dw.tflite"
    subprocess.run([sys.executable, "-c", MODEL_SCRIPT, str(path)], check=True, timeout=300)
    return path


@pytest.mark.parametrize("isa", ["scalar", "avx2", "avx512", "avx512vnni", "avx512vbmi", "amx"])
def test_delegate_with_each_variant_matches_builtin_ref(depthwise_model, tmp_path, isa):
    """The whole delegate (2 threads) with every kernel family capped at one ISA (EDGEQ_ISA)."""
    need = {"scalar": set(), "avx2": {"avx2"}, "avx512": {"avx512f", "avx512bw", "avx512vl"},
            "avx512vnni": {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"},
            "avx512vbmi": {"avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512vbmi"},
            "amx": {"avx512f", "avx512bw", "avx512vl", "avx512_vnni", "amx_tile", "amx_int8"}}[isa]
    if not need <= set(HOST_FLAGS):
        pytest.skip(f"host CPU lacks {sorted(need - set(HOST_FLAGS))}")  # the kernel tests cover what it runs
    report = tmp_path / "claimed.json"
    env = dict(os.environ, EDGEQ_ISA=isa)
    proc = subprocess.run([sys.executable, "-c", RUN_SCRIPT, str(depthwise_model), str(report)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    ops = sorted(c["op"] for c in json.loads(report.read_text())["claimed"])
    assert ops == ["ADD"] + ["CONV_2D"] * 3 + ["DEPTHWISE_CONV_2D"] * 3, ops
    assert res["total"] > 1000 and res["bad"] == 0, res
