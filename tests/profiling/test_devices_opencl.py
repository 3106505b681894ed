"""``edgeq devices --check`` says whether this machine has an OpenCL runtime for the gpu delegate, and it
agrees with what the delegate itself finds (PoCL in CI; no library; a loader without drivers)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from edgeq import opencl_probe
from edgeq.profiling.cli import devices
from edgeq.runtime import DelegateError, delegate_path

# The gpu delegate on a small conv net, in a fresh process without TensorFlow (the delegate reads
# EDGEQ_OPENCL_LIBRARY once per process); prints what it claimed.
DELEGATE = r'''
import json, sys
from edgeq.runtime import Interpreter
# PoCL's is a CPU device, which the delegate takes only when asked (platform=...)
it = Interpreter(sys.argv[1], resolver="reference", delegates=["gpu"],
                 delegate_options={"report_path": sys.argv[2], "platform": "Portable Computing Language"})
print(len(json.load(open(sys.argv[2]))["claimed"]))
'''


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory):
    """A small conv net with static shapes (what the gpu delegate takes), converted by edgeq."""
    import keras
    import numpy as np

    import edgeq
    from edgeq.datasets import Samples

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8, 8, 3), batch_size=1), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    calib = np.random.default_rng(0).standard_normal((8, 8, 8, 3)).astype(np.float32)
    d = tmp_path_factory.mktemp("ocl")
    return edgeq.convert(net, Samples([calib])).save(d / "conv.tflite", manifest_sidecar=False)


def _gpu_claims(model, tmp_path, env: dict) -> tuple[int, str]:
    r = subprocess.run([sys.executable, "-c", DELEGATE, str(model), str(tmp_path / "claimed.json")],
                       env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return int(r.stdout.split()[-1]), r.stderr


@pytest.fixture(autouse=True)
def _gpu_built():
    try:
        delegate_path("gpu")
    except DelegateError as e:
        pytest.skip(str(e))


def test_pocl_is_found_and_the_delegate_runs_there(conv_model, tmp_path, monkeypatch):
    monkeypatch.delenv("EDGEQ_OPENCL_LIBRARY", raising=False)
    monkeypatch.delenv("OCL_ICD_VENDORS", raising=False)
    info = opencl_probe.probe()
    assert info["available"] is True and info["reason"] is None
    assert any(p["name"] == "Portable Computing Language" and p["devices"] for p in info["platforms"]), info
    assert "cpu" in opencl_probe.describe(info)  # PoCL's device is a CPU one: the line says so
    assert _gpu_claims(conv_model, tmp_path, {})[0] >= 1


def test_no_opencl_library(conv_model, tmp_path, monkeypatch):
    missing = str(tmp_path / "libOpenCL.so.1")
    monkeypatch.setenv("EDGEQ_OPENCL_LIBRARY", missing)
    info = opencl_probe.probe()
    assert info["available"] is False
    assert info["reason"].startswith(f"no OpenCL runtime ({missing} not found)") and "pocl-opencl-icd" in info["reason"]
    claimed, stderr = _gpu_claims(conv_model, tmp_path, {"EDGEQ_OPENCL_LIBRARY": missing})
    assert claimed == 0 and "no OpenCL runtime" in stderr  # the delegate finds the same


def test_loader_without_drivers(conv_model, tmp_path, monkeypatch):
    empty = tmp_path / "vendors"
    empty.mkdir()
    monkeypatch.delenv("EDGEQ_OPENCL_LIBRARY", raising=False)
    monkeypatch.setenv("OCL_ICD_VENDORS", str(empty))  # ocl-icd reads its drivers from there
    info = opencl_probe.probe()
    assert info["available"] is False and info["library"] == "libOpenCL.so.1"
    assert info["reason"].startswith("no OpenCL platform") and str(empty) in info["reason"]
    assert _gpu_claims(conv_model, tmp_path, {"OCL_ICD_VENDORS": str(empty)})[0] == 0


def test_devices_check_says_so(tmp_path, monkeypatch):
    # only the host profile: the built-in phone and board profiles would start adb and probe serial ports
    monkeypatch.setenv("EDGEQ_OPENCL_LIBRARY", str(tmp_path / "libOpenCL.so.1"))
    monkeypatch.setattr("edgeq.profiling.cli.list_profiles",
                        lambda: [d for d in _profiles() if d.name == "host"])
    r = CliRunner().invoke(devices, ["--check", "--timeout", "3"])
    assert r.exit_code == 0, r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("OpenCL on this machine (edgeq's gpu delegate): no OpenCL runtime (")
    r = CliRunner().invoke(devices, ["--check", "--timeout", "3", "--json"])
    rows = json.loads(r.output)
    assert rows[0]["name"] == "host" and rows[0]["opencl"]["available"] is False


def _profiles():
    from edgeq.profiling.devices import list_profiles
    return list_profiles()
