"""edgeq compile on the host: every op kernel and whole models bit-exact with LiteRT's BUILTIN_REF,
compiled for x86-64 and for aarch64 (run under qemu-user), the arena planner's promises, the RAM goal
against TFLite Micro, and the CLI's errors."""
from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "delegates"))  # _opmodels: the delegate tests' op models
import mcu_helpers as _mcu  # noqa: E402
import _opmodels as om  # noqa: E402

from edgeq.compile import compile_model, write_output  # noqa: E402
from edgeq.compile import quant  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = ["kws", "vww", "resnet8", "autoencoder"]

# single-op models: (name, builder, int4 variant too)
OP_CASES = [
    ("conv", om.conv2d(h=12, w=11, cin=6, cout=13), True),
    ("conv_s2_valid", om.conv2d(stride=2, padding="VALID", k=(3, 2), cout=10), True),
    ("conv_dilated_relu6", om.conv2d(dilation=2, act="relu6", cin=4, cout=9), False),
    ("conv_1x1", om.conv2d(k=(1, 1), cin=24, cout=20), True),
    ("conv_batch2_relu", om.conv2d(n=2, act="relu", cout=11), False),
    ("depthwise", om.depthwise(c=13, h=10, w=11), True),
    ("depthwise_s2", om.depthwise(c=16, stride=2), False),
    ("depthwise_mult2", om.depthwise(mult=2, stride=2), True),
    ("depthwise_dilated", om.depthwise(c=12, dilation=2, act="relu6"), False),
    ("dense", om.dense(batch=6, cin=70, cout=33), True),
    ("dense_relu", om.dense(batch=3, act="relu"), False),
    ("add", om.binary("add", a=(1, 8, 8, 12), b=(1, 8, 8, 12)), False),
    ("add_broadcast", om.binary("add", b=(1, 1, 1, 6)), False),
    ("mul", om.binary("mul", a=(1, 8, 8, 12), b=(1, 8, 8, 12)), False),
    ("mul_broadcast", om.binary("mul", a=(1, 4, 4, 6), b=(1, 1, 4, 1)), False),
    ("avg_pool", om.pool("avg", h=12, w=13, c=8), False),
    ("max_pool", om.pool("max", padding="VALID", c=8), False),
    ("mean", om.mean(shape=(1, 7, 9, 11)), False),
    ("mean_channels", om.mean(axis=(3,), keepdims=False), False),
    ("softmax", om.unary("softmax", shape=(6, 37)), False),
    ("logistic", om.unary("logistic", shape=(4, 64)), False),
    ("hard_swish", om.unary("hard_swish", shape=(4, 64)), False),
    ("reshape_concat", om.reshape_concat(), False),
    ("concat_requantize", om.concat_requantize(), False),
    ("pad", om.pad(), False),
    ("mobilenet_block", om.mobilenet_block(), True),
    ("residual", om.residual_net(), True),
    ("mlp", om.mlp(), True),
]


def _op_models() -> list[tuple[str, bytes]]:
    out = []
    for name, (fn, shapes), int4 in OP_CASES:
        m = om.convert(fn, shapes)
        out.append((name, m))
        if int4:
            out.append((name + "_int4", om.to_int4(m)))
    out.append(("float_io", om.convert(*om.mlp(), float_io=True)))
    return out


def _dispatch_main(names: list[str]) -> str:
    """A test program holding every op model: `prog INDEX IN.bin OUT.bin`."""
    inc = "\n".join(f'#include "{n}.h"' for n in names)
    cases = "\n".join(
        f"    case {i}: for (int k = 0; k < {n.upper()}_NUM_INPUTS; ++k) io(f, {n}_input(k), {n}_input_info(k)->bytes, 0);"
        f" {n}_invoke(); for (int k = 0; k < {n.upper()}_NUM_OUTPUTS; ++k) io(g, {n}_output(k), "
        f"{n}_output_info(k)->bytes, 1); break;" for i, n in enumerate(names))
    return f"""#include <stdio.h>
#include <stdlib.h>
{inc}
static void io(FILE* f, void* p, unsigned n, int out) {{
  if ((out ? fwrite(p, 1, n, f) : fread(p, 1, n, f)) != n) exit(3);
}}
int main(int argc, char** argv) {{
  if (argc != 4) return 2;
  FILE* f = fopen(argv[2], "rb");
  FILE* g = fopen(argv[3], "wb");
  if (!f || !g) return 2;
  switch (atoi(argv[1])) {{
{cases}
    default: return 2;
  }}
  fclose(f);
  return fclose(g) != 0;
}}
"""


@pytest.fixture(scope="module")
def op_build(tmp_path_factory):
    """Every op model compiled for generic-c and for cortex-m4 (its DSP intrinsics in portable C), each
    target linked into one host program."""
    work = tmp_path_factory.mktemp("mcu_ops")
    models = _op_models()
    exes = {}
    for target in ("generic-c", "cortex-m4"):
        src = work / target
        src.mkdir()
        kernels: dict[str, Path] = {}
        names = []
        for i, (name, m) in enumerate(models):
            cname = f"m{i}"
            cm = compile_model(m, target, cname)
            write_output(cm, src / cname)
            names.append(cname)
            for p in (src / cname / "edgeq_kernels").glob("*.c"):
                kernels.setdefault(p.name, p)
        (src / "main.c").write_text(_dispatch_main(names))
        cmd = ["gcc", *_mcu.CFLAGS, *[f"-I{src / n}" for n in names], str(src / "main.c"),
               *[str(src / n / f"{n}.c") for n in names], *map(str, kernels.values()), "-o", str(src / "ops")]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-3000:]
        exes[target] = src / "ops"
    return models, exes, work


@pytest.mark.parametrize("target", ["generic-c", "cortex-m4"])
def test_every_op_kernel_is_bit_exact_with_builtin_ref(op_build, target):
    models, exes, work = op_build
    failures = []
    for i, (name, m) in enumerate(models):
        for xs in _mcu.random_inputs(m, 3, seed=i):
            ref = _mcu.reference(m, xs)
            (work / "in.bin").write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in xs))
            r = subprocess.run([str(exes[target]), str(i), str(work / "in.bin"), str(work / "out.bin")])
            assert r.returncode == 0, name
            got = (work / "out.bin").read_bytes()
            want = b"".join(y.tobytes() for y in ref)
            if got != want:
                diff = sum(a != b for a, b in zip(got, want))
                failures.append(f"{name}: {diff}/{len(want)} bytes differ")
                break
    assert not failures, failures


def _host_app(model: bytes, work: Path, cc: str = "gcc", extra=()) -> Path:
    cm = compile_model(model, "generic-c", "model")
    work.mkdir(parents=True, exist_ok=True)
    write_output(cm, work / "src")
    return _mcu.build_host(work / "src", work / "classify", cc, list(extra))


def test_demo_and_mlperf_tiny_models_bit_exact_on_x86_64_through_the_c_app(demo, tmp_path):
    models = {"demo": _mcu.logits_exposed(_mcu.demo_int8(demo)),
              **{n: _mcu.logits_exposed(_mcu.tiny_model(n)) for n in TINY}}
    for name, m in models.items():
        work = tmp_path / name
        exe = _host_app(m, work)
        _mcu.assert_bit_exact(m, exe, work, n=3, seed=7, min_distinct=8)
    # the app prints the top class of real digits like LiteRT's argmax
    with np.load(demo.test) as z:
        x = z["image"][:1]
    from ai_edge_litert.interpreter import Interpreter
    m = _mcu.demo_int8(demo)
    exe = _host_app(m, tmp_path / "demo_plain")
    it = Interpreter(model_content=m)
    d = it.get_input_details()[0]
    scale, zp = d["quantization"]
    q = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    (tmp_path / "digit.bin").write_bytes(q.tobytes())
    out = subprocess.run([str(exe), str(tmp_path / "digit.bin")], capture_output=True,
                         text=True, check=True).stdout
    ref = _mcu.reference(m, [q])[0]
    assert out.startswith(f"class {int(np.argmax(ref))} ")


@pytest.mark.skipif(not (_mcu.have("aarch64-linux-gnu-gcc") and (_mcu.have("qemu-aarch64-static") or
                                                                  _mcu.have("qemu-aarch64"))),
                    reason="needs gcc-aarch64-linux-gnu and qemu-user-static (tests/apt-packages.txt)")
def test_same_generated_c_is_bit_exact_on_aarch64_under_qemu_user(demo, tmp_path):
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    models = {"demo": _mcu.logits_exposed(_mcu.demo_int8(demo)), "kws": _mcu.logits_exposed(_mcu.tiny_model("kws")),
              "resnet8": _mcu.logits_exposed(_mcu.tiny_model("resnet8"))}
    for name, m in models.items():
        work = tmp_path / name
        exe = _host_app(m, work, "aarch64-linux-gnu-gcc", ["-static"])
        assert exe.read_bytes()[18] == 183  # ELF e_machine: EM_AARCH64
        _mcu.assert_bit_exact(m, exe, work, n=2, seed=11, runner=[qemu], min_distinct=8)


def test_quantize_multiplier_equals_the_c_reference(tmp_path):
    # the delegate's C QuantizeMultiplier (frexp + round to Q31) against the compiler's Python one
    src = tmp_path / "qm.c"
    src.write_text(f'#include "{ROOT}/delegates/kernels/base/requant.h"\n'
                   "void qm(double d, int* m, int* s) { int32_t mm; eq_quantize_multiplier(d, &mm, s); *m = mm; }\n")
    lib = tmp_path / "qm.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", str(src), "-o", str(lib), "-lm"], check=True)
    qm = ctypes.CDLL(str(lib)).qm
    qm.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    rng = np.random.default_rng(0)
    values = list(np.exp(rng.uniform(-30, 5, 20000))) + [0.5, 1.0, 0.75, 2.0 ** -40, 1 - 2.0 ** -33,
                                                         (2 ** 30 + 0.5) / 2 ** 31]
    m, s = ctypes.c_int(), ctypes.c_int()
    for v in values:
        qm(float(v), ctypes.byref(m), ctypes.byref(s))
        assert quant.quantize_multiplier(float(v)) == (m.value, s.value), v
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(2.0 ** -40) == (0, 0)


def test_cortex_m_requantization_equals_the_reference_arithmetic(tmp_path):
    d = ROOT / "delegates" / "kernels"
    exe = tmp_path / "rq"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{d}", str(d / "base/test/requant-armsimd32-test.c"),
                    "-o", str(exe), "-lm"], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0 and " 0 differ" in r.stdout, r.stdout


def test_arena_overlaps_dying_inputs_and_the_plan_is_checked(tmp_path):
    m = _mcu.tiny_model("kws")
    cm = compile_model(m, "generic-c", "model")
    unshared = cm.report["ram"]["activation_bytes_unshared"]
    assert cm.plan.arena_bytes < unshared / 4
    assert {o["in_place"] for o in cm.report["ops"]} >= {"forward", "backward"}
    # the independent checker rejects a plan that lets two live buffers collide
    from edgeq.compile.planner import check_plan
    from edgeq.errors import EdgeqError
    a = next(b for b in cm.plan.buffers if b.scratch_of is not None)
    b = next(x for x in cm.plan.buffers if x.first <= a.first <= x.last and x.scratch_of is None)
    saved = a.offset
    a.offset = b.offset
    with pytest.raises(EdgeqError):
        check_plan(cm.plan)
    a.offset = saved
    check_plan(cm.plan)


def test_a_wrong_overlap_distance_is_caught_by_the_bit_exact_check(tmp_path, monkeypatch):
    # if the access-order analysis were wrong, outputs would differ: shrink every distance and look
    import importlib

    from edgeq.compile.overlap import Overlap
    lower_mod = importlib.import_module("edgeq.compile.lower")
    real = lower_mod.distances

    def too_close(*a, **k):
        ov = real(*a, **k)
        return Overlap(None if ov.forward is None else ov.forward - 256, None)

    monkeypatch.setattr(lower_mod, "distances", too_close)
    m = _mcu.logits_exposed(_mcu.tiny_model("kws"))
    exe = _host_app(m, tmp_path)
    with pytest.raises(AssertionError, match="outputs differ"):
        _mcu.assert_bit_exact(m, exe, tmp_path, n=2, seed=3)


@pytest.mark.parametrize("name", TINY)
def test_arena_is_at_most_0_6_of_tflite_micros(name):
    from edgeq.compile.report import tflm_arena
    m = _mcu.tiny_model(name)
    tflm = tflm_arena(m)
    for target in ("generic-c", "cortex-m4", "cortex-m55"):
        ours = compile_model(m, target, "model").plan.arena_bytes
        assert ours <= 0.6 * tflm, f"{name} {target}: arena {ours} B vs TFLM {tflm} B ({ours / tflm:.3f}x)"


def test_unsupported_op_is_one_line_naming_op_and_layer_and_writes_nothing(run_cli, tmp_path):
    tf = om._tf()

    def fn(x):
        return tf.math.tanh(x * 2.0) + 1.0
    m = tmp_path / "tanh.tflite"
    m.write_bytes(om.convert(fn, [(1, 16)]))
    out = tmp_path / "out"
    r = run_cli("compile", m, "-o", out)
    assert r.code == 2
    err = r.err.strip()
    assert len(err.splitlines()) == 1 and "TANH" in err and "layer" in err and "Traceback" not in err
    assert not out.exists()


def test_float16_weights_ask_for_a_conversion_first(run_cli, tmp_path):
    # a model-zoo file (mediapipe's face detector) said only "constant tensor 'conv2d/Kernel' has type float16,
    # which the compiler does not read"
    tf = om._tf()
    w = tf.constant(np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32))

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 16), tf.float32)])
        def f(self, x):
            return tf.matmul(x, w)
    mod = M()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([mod.f.get_concrete_function()], mod)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.target_spec.supported_types = [tf.float16]
    m = tmp_path / "fp16.tflite"
    m.write_bytes(conv.convert())
    out = tmp_path / "out"
    r = run_cli("compile", m, "-o", out)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert "is float16: edgeq compile takes a fully-integer model; convert it first (edgeq convert" in r.err, r.err
    assert not out.exists()


def test_cli_writes_sources_and_a_json_report(run_cli, tmp_path):
    m = tmp_path / "kws.tflite"
    m.write_bytes(_mcu.tiny_model("kws"))
    r = run_cli("compile", m, "-o", tmp_path / "out", "--name", "kws", "--target", "cortex-m4", "--json")
    assert r.code == 0, r.err
    rep = json.loads(r.out)
    assert rep["target"] == "cortex-m4" and rep["ram"]["arena_bytes"] > 0 and rep["ram"]["tflm_arena_bytes"] > 0
    assert any("armsimd32" in o["kernel"] for o in rep["ops"])
    header = (tmp_path / "out" / "kws.h").read_text()
    assert f"#define KWS_ARENA_BYTES {rep['ram']['arena_bytes']}u" in header
    assert "kws_invoke(void)" in header
    # no heap, no stdio, no libm in what the model needs
    text = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*.c"))
    for banned in ("malloc(", "printf(", "expf(", "roundf("):
        assert banned not in text, banned
