"""The qs8-gemm / qs8-qc4w-gemm micro-kernel families (delegates/kernels), built and run for real.

* native build: every ISA this host can run is checked bit-exactly against the reference by
  the C test program, plus golden outputs of LiteRT's BUILTIN_REF kernels for FULLY_CONNECTED
  and 1x1 CONV_2D models (int8 and int4 weights) converted here with TensorFlow; the golden
  data also pins which rounding variant each op uses;
* the same x86 binary under qemu-x86_64 with CPU models lacking AVX2 / having AVX2 only, to
  check runtime dispatch;
* an aarch64 cross build run under qemu-aarch64 with CPU models that have SDOT + SMMLA, SDOT
  only, and neither, asserting which variant was selected and that all of them match.
"""
from __future__ import annotations

import math
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
KERNELS_DIR = REPO / "delegates" / "kernels"
TOOLCHAIN = REPO / "delegates" / "cmake" / "aarch64-linux-gnu.cmake"
HOST_FLAGS = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("flags")), [])

pytestmark = pytest.mark.skipif(os.uname().machine != "x86_64",
                                reason="the suite cross-builds from an x86-64 host")


def _cmake_build(build_dir: Path, *extra: str, target: str | None = None) -> Path:
    for cmd in (["cmake", "-S", str(KERNELS_DIR), "-B", str(build_dir), "-DEDGEQ_KERNELS_BUILD_TESTS=ON",
                 "-DCMAKE_BUILD_TYPE=Release", *extra],
                ["cmake", "--build", str(build_dir), "-j2", *(["--target", target] if target else [])]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return build_dir / "qs8-gemm-test"


@pytest.fixture(scope="module")
def native_test(tmp_path_factory) -> Path:
    return _cmake_build(tmp_path_factory.mktemp("gemm_native"))


@pytest.fixture(scope="module")
def aarch64_test(tmp_path_factory) -> Path:
    # -static: the binary then runs under qemu-aarch64-static without an aarch64 sysroot
    exe = _cmake_build(tmp_path_factory.mktemp("gemm_aarch64"),
                       f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}", "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # ELF e_machine EM_AARCH64
    return exe


@pytest.fixture(scope="module")
def amx_emulated_test(tmp_path_factory) -> Path:
    """The kernels with the AMX variant on tiles emulated in C (base/amx-emulate.h): AMX's logic on any
    AVX-512 VNNI CPU (the variant's requantization is AVX-512)."""
    if not {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= set(HOST_FLAGS):
        pytest.skip("the emulated AMX variant needs AVX-512 VNNI")
    return _cmake_build(tmp_path_factory.mktemp("gemm_amx_emu"), "-DEDGEQ_AMX_EMULATE=ON", target="qs8-gemm-test")


# ---- golden FULLY_CONNECTED / CONV_2D problems from LiteRT's reference kernels ----------------------

def quantize_multiplier(d: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier (quantization_util.cc): Q31 multiplier and shift."""
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))  # std::round, q > 0
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def requantize_double(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """gemmlowp double rounding: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT."""
    x = _wrap32(acc.astype(np.int64) << np.maximum(shift, 0))
    ab = x * mult.astype(np.int64)
    num = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(num) * (np.abs(num) >> 31)  # C division truncates toward zero
    e = np.maximum(-shift, 0)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> e) + ((high & mask) > threshold)


def requantize_single(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """TFLITE_SINGLE_ROUNDING variant: one round-half-up shift of the 64-bit product."""
    total = 31 - shift
    return (acc.astype(np.int64) * mult + (np.int64(1) << (total - 1))) >> total


ROUNDING_DOUBLE, ROUNDING_SINGLE = 0, 1  # qs8_rounding in qs8-gemm.h


def _convert(kind: str, m: int, k: int, n: int, activation: str | None, seed: int) -> bytes:
    """An int8 (inputs and outputs included) TFLite model of one Dense layer (FULLY_CONNECTED,
    batch m) or one 1x1 Conv2D (CONV_2D on a 1 x m x 1 x k image): both are an m x n x k GEMM."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    if kind == "fc":
        shape = (m, k)
        model = keras.Sequential([keras.Input(shape=(k,), batch_size=m),
                                  keras.layers.Dense(n, activation=activation)])
        kernel = rng.normal(size=(k, n))
    else:
        shape = (1, m, 1, k)
        model = keras.Sequential([keras.Input(shape=(m, 1, k), batch_size=1),
                                  keras.layers.Conv2D(n, 1, activation=activation)])
        kernel = rng.normal(size=(1, 1, k, n))
    model.layers[0].set_weights([kernel.astype(np.float32), rng.normal(size=n).astype(np.float32)])

    def representative():
        for _ in range(8):
            yield [rng.uniform(-1.0, 3.0, size=shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def _golden_case(kind: str, m: int, k: int, n: int, *, bits: int, activation: str | None,
                 seed: int, out_scale: float | None = None) -> dict:
    """Converts the layer, optionally rewrites its filter to random INT4 values and its output
    scale (to exercise small shifts), runs it with the BUILTIN_REF resolver and returns the GEMM
    problem with the reference outputs."""
    from edgeq import tflite_schema as ts
    from edgeq.runtime import Interpreter

    model = ts.read_model(_convert(kind, m, k, n, activation, seed))
    graph = model.subgraphs[0]
    (op,) = graph.operators
    assert ts.op_name(model, op) == {"fc": "FULLY_CONNECTED", "conv": "CONV_2D"}[kind]
    t_in, t_w, t_b = (graph.tensors[i] for i in op.inputs)
    t_out = graph.tensors[op.outputs[0]]
    rng = np.random.default_rng(seed + 1)
    if bits == 4:
        w = rng.integers(-8, 8, size=(n, k)).astype(np.int8)
        model.buffers[t_w.buffer].data = np.frombuffer(pack_int4(w), np.uint8)
        t_w.type = ts.tensor_type_code("int4")
    else:
        w = np.frombuffer(bytes(model.buffers[t_w.buffer].data), np.int8).reshape(n, k)
    if out_scale is not None:
        t_out.quantization.scale = np.array([out_scale], np.float32)
    bias = np.frombuffer(bytes(model.buffers[t_b.buffer].data), np.int32)
    s_in = float(t_in.quantization.scale[0])
    s_w = np.broadcast_to(np.asarray(t_w.quantization.scale, np.float32), (n,))
    s_out = float(t_out.quantization.scale[0])
    qm = [quantize_multiplier(float(np.float64(s_in) * np.float64(sw) / np.float64(s_out)))
          for sw in s_w]
    a_zp, c_zp = int(t_in.quantization.zeroPoint[0]), int(t_out.quantization.zeroPoint[0])
    c_min = max(-128, c_zp) if activation == "relu" else -128  # CalculateActivationRangeQuantized

    interp = Interpreter(ts.write_model(model), resolver="reference")
    a = rng.integers(-128, 128, size=(m, k)).astype(np.int8)
    expected = interp.run([a.reshape(interp.inputs[0].shape)])[0].reshape(m, n)
    return dict(m=m, n=n, k=k, bits=bits, a_zp=a_zp, c_zp=c_zp, c_min=c_min, c_max=127, w=w,
                bias=bias, mult=np.array([q[0] for q in qm], np.int64),
                shift=np.array([q[1] for q in qm], np.int64), a=a, expected=expected,
                rounding=ROUNDING_SINGLE if kind == "fc" else ROUNDING_DOUBLE)


def pack_int4(w: np.ndarray) -> bytes:
    """TFLite INT4 packing: element 2i in the low nibble of byte i, 2i+1 in the high one."""
    flat = (w.reshape(-1).astype(np.uint8) & 0x0F)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()


def write_golden(cases: list[dict], path: Path) -> None:
    """Binary format read by qs8-gemm-test.c (run_golden)."""
    out = bytearray(b"EQGG" + struct.pack("<I", len(cases)))
    for c in cases:
        out += struct.pack("<9i", c["m"], c["n"], c["k"], c["bits"], c["a_zp"], c["c_zp"],
                           c["c_min"], c["c_max"], c["rounding"])
        out += pack_int4(c["w"]) if c["bits"] == 4 else c["w"].astype(np.int8).tobytes()
        for key in ("bias", "mult", "shift"):
            out += c[key].astype("<i4").tobytes()
        out += c["a"].tobytes() + c["expected"].astype(np.int8).tobytes()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(out))
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def golden_cases() -> list[dict]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return [
        _golden_case("fc", 9, 37, 19, bits=8, activation=None, seed=1),
        _golden_case("fc", 64, 300, 70, bits=8, activation=None, seed=2, out_scale=2.0),
        _golden_case("fc", 5, 3, 33, bits=8, activation="relu", seed=3),
        _golden_case("fc", 1, 1024, 64, bits=8, activation=None, seed=4),
        _golden_case("fc", 16, 77, 40, bits=4, activation=None, seed=5, out_scale=0.05),
        _golden_case("fc", 3, 5, 9, bits=4, activation="relu", seed=6),  # odd n*k: nibbles span rows
        _golden_case("fc", 40, 64, 24, bits=4, activation=None, seed=10, out_scale=0.02),
        _golden_case("conv", 49, 40, 24, bits=8, activation=None, seed=7, out_scale=0.5),
        _golden_case("conv", 30, 7, 17, bits=8, activation="relu", seed=8),
        _golden_case("conv", 40, 64, 24, bits=4, activation=None, seed=9, out_scale=0.02),
    ]


@pytest.fixture(scope="module")
def golden_file(golden_cases, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gemm_golden") / "fc_golden.bin"
    write_golden(golden_cases, path)
    return path


@pytest.mark.parametrize("kind, matching", [("fc", requantize_single), ("conv", requantize_double)])
def test_litert_reference_rounding_per_op(golden_cases, kind, matching):
    """Which MultiplyByQuantizedMultiplier BUILTIN_REF runs (LiteRT 2.3 wheel): FULLY_CONNECTED
    uses TFLITE_SINGLE_ROUNDING, CONV_2D gemmlowp's double rounding. The matching formula
    reproduces every output of that op; the other one does not, so the data tells them apart."""
    rounding = ROUNDING_SINGLE if kind == "fc" else ROUNDING_DOUBLE
    cases = [c for c in golden_cases if c["rounding"] == rounding]
    mismatches = {requantize_single: 0, requantize_double: 0}
    total = 0
    for c in cases:
        w = c["w"].astype(np.int64)
        acc = c["bias"].astype(np.int64) + (c["a"].astype(np.int64) - c["a_zp"]) @ w.T
        for fn in mismatches:
            y = np.clip(fn(acc, c["mult"], c["shift"]) + c["c_zp"], c["c_min"], c["c_max"])
            mismatches[fn] += int(np.count_nonzero(y != c["expected"]))
        total += c["expected"].size
    other = requantize_double if matching is requantize_single else requantize_single
    assert total > 2000
    assert mismatches[matching] == 0
    assert mismatches[other] > 0


def _run(cmd: list[str], **kw) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert proc.returncode == 0 and "RESULT PASS" in proc.stdout, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc.stdout


def _field(out: str, name: str) -> str:
    return next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith(name + "="))


def test_native_variants_match_reference_and_litert(native_test, golden_file):
    out = _run([str(native_test), "--golden", str(golden_file), "--cases", "400"])
    want = ["scalar"]
    if "avx2" in HOST_FLAGS:
        want.append("avx2")
    if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= set(HOST_FLAGS):
        want.append("avx512vnni")
        if {"amx_tile", "amx_int8"} <= set(HOST_FLAGS):  # the kernel's flags: the OS grants the tile state
            want.append("amx")
    assert _field(out, "tested_isas").split(",") == want
    assert _field(out, "detected_isa") == want[-1]
    assert "golden: 10 cases" in out


def test_amx_variant_on_emulated_tiles(amx_emulated_test, golden_file):
    """AMX plans (32- and 16-row tile blocks, the overlapping remainder block, k tails, cut channel tiles,
    fewer than 16 rows) against the reference and LiteRT's golden outputs where the CPU has no AMX: the
    tiles are C (their configuration checked as the hardware would), the rest of the kernel is the real
    code. On an AMX CPU the native test above runs the same checks on the real tiles."""
    out = _run([str(amx_emulated_test), "--golden", str(golden_file), "--cases", "200"])
    assert _field(out, "detected_isa") == "amx"
    assert _field(out, "tested_isas").split(",")[-1] == "amx"
    assert "golden: 10 cases" in out


@pytest.mark.parametrize("cpu, detected, tested", [
    ("Nehalem", "scalar", "scalar"),  # no AVX at all: the SIMD files must not run
    ("Haswell", "avx2", "scalar,avx2"),
])
def test_x86_dispatch_under_qemu(native_test, golden_file, cpu, detected, tested):
    out = _run(["qemu-x86_64-static", "-cpu", cpu, str(native_test), "--golden", str(golden_file),
                "--cases", "150"])
    assert _field(out, "detected_isa") == detected
    assert _field(out, "tested_isas") == tested


@pytest.mark.parametrize("cpu, detected, tested", [
    ("max", "i8mm", "scalar,neon,neondot,i8mm"),
    ("cortex-a76", "neondot", "scalar,neon,neondot"),
    ("cortex-a72", "neon", "scalar,neon"),  # Raspberry Pi 4: no dot product
])
def test_aarch64_variants_under_qemu(aarch64_test, golden_file, cpu, detected, tested):
    out = _run(["qemu-aarch64-static", "-cpu", cpu, str(aarch64_test), "--golden",
                str(golden_file), "--cases", "300"])
    assert _field(out, "detected_isa") == detected
    assert _field(out, "tested_isas") == tested
    assert "golden: 10 cases" in out


def test_simd_code_is_confined_to_variant_files(native_test):
    """The dispatcher and scalar objects are built without -mavx*, so loading the library and
    falling back to scalar works on any x86-64 CPU (no ymm/zmm register outside AVX files)."""
    objs = list(native_test.parent.rglob("*.o"))
    assert len(objs) >= 7
    for obj in objs:
        if "avx" in obj.name or "test" in obj.name:
            continue
        text = subprocess.run(["objdump", "-d", str(obj)], capture_output=True, text=True,
                              check=True).stdout
        assert "%ymm" not in text and "%zmm" not in text, obj.name
