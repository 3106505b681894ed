"""The runtime layer: which runtime, which resolver, which delegates."""
from __future__ import annotations

import numpy as np
import pytest

import edgeq
from edgeq.errors import DelegateError, EdgeqError
from edgeq.runtime import Interpreter, available_runtimes, find_runtime


@pytest.fixture(scope="module")
def int8_model(tiny):
    return edgeq.convert(tiny.keras, tiny.calib).model


def test_prefers_litert_and_reports_version():
    rt = find_runtime()
    assert rt.name == "ai-edge-litert"
    import ai_edge_litert

    assert rt.version == ai_edge_litert.__version__


def test_every_installed_runtime_gives_the_same_reference_integers(int8_model, tiny):
    names = [r.name for r in available_runtimes()]
    assert {"ai-edge-litert", "tensorflow"} <= set(names)
    x = np.load(tiny.calib)[:3]
    outs = {}
    for name in names:
        it = Interpreter(int8_model, resolver="reference", runtime=name)
        assert it.describe()["runtime"] == name
        outs[name] = [it.run([it.inputs[0].quantize(x[i:i + 1])])[0] for i in range(3)]
    first = outs[names[0]]
    for name in names[1:]:
        for a, b in zip(first, outs[name]):
            np.testing.assert_array_equal(a, b)


def test_env_selects_runtime(monkeypatch, int8_model):
    monkeypatch.setenv("EDGEQ_RUNTIME", "tensorflow")
    assert Interpreter(int8_model).runtime.name == "tensorflow"
    monkeypatch.setenv("EDGEQ_RUNTIME", "tflite-runtime-not-a-thing")
    with pytest.raises(EdgeqError, match="unknown runtime"):
        Interpreter(int8_model)


@pytest.mark.parametrize("resolver", ["default", "builtin", "reference"])
def test_resolvers_run(int8_model, resolver):
    it = Interpreter(int8_model, resolver=resolver)
    out = it.run([np.zeros(it.inputs[0].shape, np.int8)])
    assert out[0].shape == it.outputs[0].shape


def test_bad_resolver_and_delegates(int8_model, tmp_path):
    with pytest.raises(EdgeqError, match="unknown resolver"):
        Interpreter(int8_model, resolver="fastest")
    with pytest.raises(DelegateError, match="unknown delegate|not found"):
        Interpreter(int8_model, delegates=["tpu"])
    bogus = tmp_path / "libbogus.so"
    bogus.write_bytes(b"not a library")
    with pytest.raises(DelegateError, match="failed to load") as e:
        Interpreter(int8_model, delegates=[bogus])
    assert f"delegate {bogus} failed to load" in str(e.value)  # a path given stays a path


def test_quantize_dequantize_roundtrip(int8_model):
    it = Interpreter(int8_model)
    spec = it.inputs[0]
    x = np.linspace(0, 1, int(np.prod(spec.shape)), dtype=np.float32).reshape(spec.shape)
    assert np.abs(spec.dequantize(spec.quantize(x)) - x).max() <= spec.scale / 2 + 1e-6


def test_default_path_notice_kept_off_stderr_other_lines_kept(tiny):
    """LiteRT prints 'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.' once per process on the default path
    (it showed above `edgeq convert`'s output); a new process, so the notice has not been printed yet. Whatever else
    native code writes to stderr meanwhile still comes through."""
    import subprocess
    import sys

    code = ("import os, edgeq.runtime as r\n"
            "real = r.Interpreter.__init__.__globals__['_without_runtime_notices']\n"
            "with real():\n"
            "    os.write(2, b'runtime: a real warning\\n')\n"
            f"r.Interpreter({str(tiny.float_tflite)!r}, resolver='default').run_float([__import__('numpy')"
            f".zeros((1, *{tiny.shape!r}), 'float32')])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "XNNPACK delegate" not in p.stderr
    assert "runtime: a real warning" in p.stderr


def test_a_kernel_that_aborts_keeps_its_reason_on_stderr_on_every_resolver(tiny):
    """A kernel that prints its reason and aborts while the interpreter is built (LiteRT's reference SOFTMAX does, in
    Prepare) must leave that reason on stderr, on every resolver: stderr is held only while edgeq's own one-ADD model
    uses up the default path's once-per-process notice."""
    import subprocess
    import sys

    def run(resolver):
        code = ("import dataclasses, os, edgeq.runtime as r\n"
                "real = r.find_runtime()\n"
                "def Dying(**kw):  # the user's model (a path) dies; edgeq's own notice model (bytes) builds\n"
                "    if 'model_content' in kw:\n"
                "        return real.interpreter_cls(**kw)\n"
                "    os.write(2, b'kernel: failed to prepare, aborting\\n'); os.abort()\n"
                "rt = dataclasses.replace(real, interpreter_cls=Dying)\n"
                "r.find_runtime = lambda prefer=None: rt\n"
                f"r.Interpreter({str(tiny.float_tflite)!r}, resolver={resolver!r})\n")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)

    # the default resolver too (it held stderr while the user's model was built, and lost the reason): its notice is
    # used up beforehand on a model of one ADD
    for resolver in ("reference", "builtin", "default"):
        p = run(resolver)
        assert p.returncode != 0 and "kernel: failed to prepare, aborting" in p.stderr, (resolver, p.stderr)
        assert "XNNPACK delegate" not in p.stderr, (resolver, p.stderr)
