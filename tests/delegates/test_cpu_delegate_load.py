"""Loading the edgeq CPU delegate: every supported runtime, options, and graceful fallbacks."""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import _opmodels as om
import delegate_cases as dc
from edgeq.errors import DelegateError
from edgeq.runtime import Interpreter, available_runtimes, delegate_path


@pytest.fixture(scope="module")
def residual_model(case_model) -> bytes:
    return case_model("whole", "residual_net")


@pytest.fixture(scope="module")
def float_model() -> bytes:
    fn, shapes = om.conv2d(h=6, w=6, cin=3, cout=4)
    return om.convert_float(fn, shapes)


def run_both(model: bytes, tmp_path, runtime: str | None = None, **opts):
    report = tmp_path / "report.json"
    ref = Interpreter(model, resolver="reference", runtime=runtime)
    dlg = Interpreter(model, resolver="reference", runtime=runtime, delegates=["cpu"],
                      delegate_options={"report_path": str(report), **opts})
    xs = dc.random_inputs(ref, np.random.default_rng(7))
    return ref.run(xs), dlg.run(xs), json.loads(report.read_text()), ref


@pytest.mark.parametrize("runtime", ["ai-edge-litert", "tensorflow"])
def test_loads_and_runs_bit_exact_in_runtime(runtime, residual_model, tmp_path):
    assert runtime in {r.name for r in available_runtimes()}, f"{runtime} must be installed for this test"
    want, got, report, _ = run_both(residual_model, tmp_path, runtime=runtime)
    assert len(report["claimed"]) == len(om.op_names(residual_model))
    for w, g in zip(want, got):
        assert np.array_equal(w, g)


def test_report_names_the_runtime_tensors(residual_model, tmp_path):
    # The delegate reads names through its own TfLiteTensor layout, indexing context->tensors:
    # if the struct size or field offsets were wrong the names would not line up.
    _, _, report, ref = run_both(residual_model, tmp_path)
    names = {d["index"]: d["name"] for d in ref.tensor_details()}
    ops = ref.raw._get_ops_details()
    by_node = {c["node"]: c for c in report["claimed"]}
    assert by_node, "delegate claimed nothing"
    for op in ops:
        if op["index"] in by_node:
            c = by_node[op["index"]]
            assert c["op"] == op["op_name"]
            assert c["inputs"] == [names[i] for i in op["inputs"] if i >= 0]
            assert c["outputs"] == [names[i] for i in op["outputs"]]


@pytest.mark.parametrize("opts,fragment", [
    ({"num_threads": "0"}, "num_threads='0'"),
    ({"num_threads": "two"}, "num_threads='two'"),
    ({"ops": "CONV_2D,FOO"}, "unknown op 'FOO'"),
    ({"ops": " , "}, "ops is empty"),
    ({"mode": "turbo"}, "mode='turbo'"),  # exact and fast are the valid modes
    ({"colour": "red"}, "unknown option 'colour'"),
    ({"profile_clock": "cpu"}, "profile_clock='cpu'"),  # wall and thread
])
def test_bad_option_is_a_clear_delegate_error(opts, fragment, residual_model):
    with pytest.raises(DelegateError) as info:
        Interpreter(residual_model, resolver="reference", delegates=["cpu"], delegate_options=opts)
    msg = str(info.value)
    assert fragment in msg and "\n" not in msg
    assert ":" in msg.split(fragment, 1)[1], "the message must say what to do"


def test_model_with_nothing_to_claim_still_runs(float_model, tmp_path):
    want, got, report, _ = run_both(float_model, tmp_path)
    assert report["claimed"] == []
    assert [r["op"] for r in report["rejected"]] == ["CONV_2D"]
    assert "int8" in report["rejected"][0]["reason"]
    assert np.array_equal(want[0], got[0])


def test_ops_option_limits_what_is_claimed(residual_model, tmp_path):
    want, got, report, _ = run_both(residual_model, tmp_path, ops="ADD,concatenation", num_threads=2)
    assert {c["op"] for c in report["claimed"]} == {"ADD", "CONCATENATION"}
    disabled = [r for r in report["rejected"] if r["reason"] == "disabled by the ops option"]
    assert {r["op"] for r in disabled} >= {"CONV_2D", "MAX_POOL_2D"}
    for w, g in zip(want, got):
        assert np.array_equal(w, g)


def test_resized_input_rebuilds_the_kernels_and_stays_exact(tmp_path):
    # The delegate allows dynamic tensors (graphs with run-time shape chains must load), so the
    # runtime keeps it applied across a resize: the partition's kernel computes the new shapes
    # and rebuilds its nodes, for a new batch and for new spatial sizes, and back.
    fn, shapes = om.conv2d(h=6, w=6, cin=3, cout=4, stride=2, seed=11)
    model = om.convert(fn, shapes)
    report = tmp_path / "r.json"
    ref = Interpreter(model, resolver="reference")
    dlg = Interpreter(model, resolver="reference", delegates=["cpu"], delegate_options={"report_path": str(report)})
    assert [c["op"] for c in json.loads(report.read_text())["claimed"]] == ["CONV_2D"]
    rng = np.random.default_rng(5)
    for shape, out_shape in [((3, 6, 6, 3), (3, 3, 3, 4)), ((2, 9, 5, 3), (2, 5, 3, 4)), ((1, 6, 6, 3), (1, 3, 3, 4))]:
        x = rng.integers(-128, 128, shape).astype(np.int8)
        want, got = ref.run([x])[0], dlg.run([x])[0]
        assert got.shape == out_shape
        assert np.array_equal(want, got)


def test_verbose_env_logs_claimed_nodes(residual_model, monkeypatch, capfd):
    monkeypatch.setenv("EDGEQ_DELEGATE_VERBOSE", "1")
    Interpreter(residual_model, resolver="reference", delegates=["cpu"])
    err = capfd.readouterr().err
    assert "edgeq cpu delegate: claimed node 0 (CONV_2D)" in err


def test_only_the_plugin_symbols_are_exported():
    lib = ctypes.CDLL(str(delegate_path("cpu")))
    assert hasattr(lib, "tflite_plugin_create_delegate")
    assert hasattr(lib, "tflite_plugin_destroy_delegate")
    for internal in ("eq_partition", "eq_cpu_options_parse", "qs8_gemm_run"):
        assert not hasattr(lib, internal), f"{internal} leaks out of libedgeq_cpu"


TFLITE_RUNTIME_CHECK = r"""
import json, sys
import numpy as np
from tflite_runtime.interpreter import Interpreter, OpResolverType, load_delegate
model, lib, report = sys.argv[1:4]
ref = Interpreter(model_path=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
dlg = Interpreter(model_path=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                  experimental_delegates=[load_delegate(lib, {"report_path": report})])
rng = np.random.default_rng(3)
same = True
for it in (ref, dlg):
    it.allocate_tensors()
for _ in range(3):
    outs = []
    xs = [rng.integers(-128, 128, d["shape"]).astype(d["dtype"]) for d in ref.get_input_details()]
    for it in (ref, dlg):
        for d, x in zip(it.get_input_details(), xs):
            it.set_tensor(d["index"], x)
        it.invoke()
        outs.append([it.get_tensor(d["index"]).copy() for d in it.get_output_details()])
    same &= all(np.array_equal(a, b) for a, b in zip(*outs))
try:
    load_delegate(lib, {"num_threads": "-3"})
    bad = "accepted"
except ValueError as e:
    bad = str(e)
print(json.dumps({"same": bool(same), "bad_option": bad}))
"""


def tflite_runtime_python() -> Path:
    """A venv with tflite-runtime 2.14 (needs numpy<2), built once and cached under ~/.cache/edgeq."""
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "edgeq"
    venv = root / "tflite-runtime-2.14"
    py = venv / "bin" / "python"
    if py.exists():
        return py
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tflite-runtime-", dir=root))
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(tmp)], check=True, timeout=120)
    subprocess.run([str(tmp / "bin" / "python"), "-m", "pip", "install", "-q", "tflite-runtime==2.14.0",
                    "numpy<2"], check=True, timeout=600)
    try:
        os.rename(tmp, venv)  # atomic; a concurrent run that got there first wins
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return py


def test_loads_in_tflite_runtime_2_14(residual_model, tmp_path):
    if sys.version_info >= (3, 12):
        pytest.skip("tflite-runtime 2.14 publishes wheels up to Python 3.11")
    py = tflite_runtime_python()
    model = tmp_path / "m.tflite"
    model.write_bytes(residual_model)
    report = tmp_path / "r.json"
    out = subprocess.run([str(py), "-c", TFLITE_RUNTIME_CHECK, str(model), str(delegate_path("cpu")), str(report)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(json.loads(report.read_text())["claimed"]) == len(om.op_names(residual_model))
    assert res["same"], "delegate differs from tflite-runtime's BUILTIN_REF"
    assert "num_threads='-3' is invalid" in res["bad_option"]


def _inspect(model: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgeq.cli", "inspect", str(model), *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_cli_op_the_delegate_does_not_have_is_one_line(residual_model, tmp_path):
    m = tmp_path / "residual.tflite"
    m.write_bytes(residual_model)
    # LSH_PROJECTION is a TFLite op this delegate does not run; the line names it and lists the ops it does run
    r = _inspect(m, "--delegate", "cpu", "--delegate-option", "ops=CONV_2D,LSH_PROJECTION")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "edgeq cpu delegate: unknown op 'LSH_PROJECTION' in option ops" in lines[0]
    have = lines[0].split("this delegate has ", 1)[1].split(";")[0].split(", ")
    assert {"CONV_2D", "HARD_SWISH", "FULLY_CONNECTED", "DEQUANTIZE"} <= set(have) and "LSH_PROJECTION" not in have
    for bad, fragment in ((["--delegate", "cpu", "--delegate-option", "ops"], "is not KEY=VALUE"),
                          (["--delegate", "xnnpack", "--delegate-option", "ops=ADD"], "add --delegate cpu")):
        r = _inspect(m, *bad)
        assert r.returncode == 2 and fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_cli_ops_option_limits_where_nodes_run(residual_model, tmp_path):
    m = tmp_path / "residual.tflite"
    m.write_bytes(residual_model)
    r = _inspect(m, "--delegate", "cpu", "--delegate-option", "ops=add,concatenation", "--json")
    assert r.returncode == 0, r.stderr
    nodes = json.loads(r.stdout)["placement"]["nodes"]
    on_cpu = {n["op"] for n in nodes if n["ran_on"] == "edgeq-cpu"}
    assert on_cpu == {"ADD", "CONCATENATION"}
    assert any(n["op"] == "CONV_2D" and n["declined"] == "disabled by the ops option" for n in nodes), nodes


def test_cli_delegate_prefixed_option_as_edgeq_profile_takes_it(residual_model, tmp_path):
    """edgeq inspect takes cpu:KEY / gpu:KEY as edgeq profile does (one flag for both commands); a prefix naming the
    other delegate is one line."""
    m = tmp_path / "residual.tflite"
    m.write_bytes(residual_model)
    r = _inspect(m, "--delegate", "cpu", "--delegate-option", "cpu:ops=add,concatenation", "--json")
    assert r.returncode == 0, r.stderr
    nodes = json.loads(r.stdout)["placement"]["nodes"]
    assert {n["op"] for n in nodes if n["ran_on"] == "edgeq-cpu"} == {"ADD", "CONCATENATION"}
    r = _inspect(m, "--delegate", "cpu", "--delegate-option", "gpu:platform=Portable")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "gpu:platform is for the gpu delegate, and --delegate is cpu" in r.stderr


def test_dynamic_batch_shape_chain_loads_and_is_exact_at_any_batch(tmp_path):
    # TensorFlow's converter writes a dynamic batch as SHAPE ... PACK -> RESHAPE: a tensor whose
    # shape exists only at run time. The runtime refused the delegate on such graphs (a bare
    # RuntimeError at load); now the chain stays with the runtime, the rest is claimed, and the
    # outputs equal BUILTIN_REF at every batch.
    fn, shapes = om.squeeze_excite_dynbatch()
    model = om.convert(fn, shapes)
    assert {"SHAPE", "PACK", "RESHAPE"} <= set(om.op_names(model))
    report = tmp_path / "r.json"
    ref = Interpreter(model, resolver="reference")
    dlg = Interpreter(model, resolver="reference", delegates=["cpu"], delegate_options={"report_path": str(report)})
    rep = json.loads(report.read_text())
    claimed = {c["op"] for c in rep["claimed"]}
    assert {"CONV_2D", "MEAN", "FULLY_CONNECTED", "LOGISTIC", "MUL"} <= claimed, claimed
    declined = {r["op"] or r["builtin_code"]: r["reason"] for r in rep["rejected"]}
    assert declined.get("RESHAPE") == "shape is computed at run time", declined
    rng = np.random.default_rng(6)
    for batch in (1, 3, 2):
        x = rng.integers(-128, 128, (batch, 6, 6, 3)).astype(np.int8)
        want, got = ref.run([x])[0], dlg.run([x])[0]
        assert got.shape == (batch, 6, 6, 8)
        assert np.array_equal(want, got)
