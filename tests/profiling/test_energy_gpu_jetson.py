"""The NVML reader through the real nvidia-ml-py binding (a replaying libnvidia-ml.so.1 stands in for the
driver: there is no NVIDIA GPU here) and the Jetson INA3221 reader against a sysfs tree in the driver's format."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgeq.profiling.ondevice.energy.base import NoMeter, measure_window
from edgeq.profiling.ondevice.energy.ina3221 import Ina3221Reader
from edgeq.runtime import DelegateError, delegate_path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def nvml_lib(tmp_path_factory) -> Path:
    """Folder holding the replaying libnvidia-ml.so.1, built from tests/profiling/nvml_replay."""
    d = tmp_path_factory.mktemp("nvml")
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(d / "libnvidia-ml.so.1"),
                    str(HERE / "nvml_replay" / "nvml_replay.c")], check=True)
    return d


def _trace(path: Path, watts: float, step_ms: int = 100, seconds: int = 2) -> Path:
    """A total-energy trace as NVML reports it: whole mJ, refreshed every step_ms, at a constant power."""
    start = 48_213_377_000  # mJ since the driver loaded: a counter that has been running a while
    path.write_text("".join(f"{t} {start + int(watts * t)}\n" for t in range(0, seconds * 1000 + 1, step_ms)))
    return path


def _run(code: str, lib: Path, trace: Path, mode: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "LD_LIBRARY_PATH": str(lib), "EDGEQ_NVML_TRACE": str(trace), "EDGEQ_NVML_MODE": mode}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          cwd=REPO)


_READ = """
import json, time
from edgeq.profiling.ondevice.energy.base import measure_window
from edgeq.profiling.ondevice.energy.detect import detect_reader
r, why = detect_reader("nvml")
if r is None:
    print(json.dumps({"why": why}))
else:
    w = measure_window(r, lambda: (time.sleep(1.2), 5)[1], 1.2)
    print(json.dumps({"describe": r.describe(), "window": w}))
    r.close()
"""


def test_nvml_reader_turns_the_counter_into_joules(nvml_lib, tmp_path):
    p = _run(_READ, nvml_lib, _trace(tmp_path / "t.txt", watts=73.5))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["describe"]["meter"] == "nvml" and out["describe"]["gpu_name"] == "NVIDIA H200 (replayed trace)"
    w = out["window"]
    # 73.5 W over ~1.2 s; the counter moves in 100 ms steps, so allow one step either side
    assert w["energy_uj"] == pytest.approx(73.5 * w["seconds"] * 1e6, abs=2 * 7350e3)
    assert w["energy_uj"] % 1000 == 0  # NVML counts whole mJ; the reader reports µJ


@pytest.mark.parametrize("mode, says", [("nodriver", "Driver Not Loaded"), ("unsupported", "Volta or newer")])
def test_nvml_without_a_usable_counter_says_why(nvml_lib, tmp_path, mode, says):
    p = _run(_READ, nvml_lib, _trace(tmp_path / "t.txt", watts=50), mode)
    assert p.returncode == 0, p.stderr
    assert says in json.loads(p.stdout.strip().splitlines()[-1])["why"]


def test_nvml_without_the_binding_says_what_to_install(tmp_path):
    code = "import sys; sys.modules['pynvml'] = None\n" + _READ
    p = _run(code, tmp_path, tmp_path / "none.txt")
    assert "pip install nvidia-ml-py" in json.loads(p.stdout.strip().splitlines()[-1])["why"]


def test_gpu_configurations_get_nvml_joules_per_inference(nvml_lib, mixed_model, tmp_path, monkeypatch):
    """edgeq profile with the GPU delegate (PoCL here): its configuration gets the GPU board's energy from NVML."""
    try:
        delegate_path("gpu")
    except DelegateError:
        pytest.fail("the GPU delegate is not built: tests/run.sh installs the OpenCL headers it needs")
    from edgeq.profiling.cli import profile
    from profiling_helpers import FAST
    monkeypatch.setenv("LD_LIBRARY_PATH", str(nvml_lib))  # the local agent, a child process, inherits it
    monkeypatch.setenv("EDGEQ_NVML_TRACE", str(_trace(tmp_path / "t.txt", watts=120.0, seconds=1)))
    # PoCL's CPU device is used only when asked for: without it gpu/t1 would be the CPU runtime (a configuration
    # that cannot run)
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "none", "--delegate", "gpu",
                                     "--delegate-option", "gpu:platform=Portable",
                                     "-o", str(tmp_path / "rep"), "--no-memory", *FAST, "--energy-window", "1.0"])
    assert r.exit_code == 0, r.output
    rep = json.loads((tmp_path / "rep" / "profile.json").read_text())
    cfgs = {c["label"]: c for c in rep["devices"][0]["configs"]}
    assert "gpu_energy" not in cfgs["none/t1"]  # CPU configurations: only the device's own meter
    g = cfgs["gpu/t1"]["gpu_energy"]
    assert g["available"] and g["meter"]["meter"] == "nvml"
    assert g["idle_power_mw"] == pytest.approx(120_000, rel=0.15) and g["busy_power_mw"] == pytest.approx(120_000, rel=0.15)
    assert g["energy_per_inference_uj"] == pytest.approx(g["busy"]["energy_uj"] / g["inferences"])
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "gpu/t1 (GPU board, NVML)" in html
    from edgeq.profiling.reporting.units import energy_uj
    assert f"GPU {energy_uj(g['energy_per_inference_uj'])}/inference" in r.output


# ---- Jetson INA3221 ---------------------------------------------------------------------------------
def _jetson_tree(root: Path, rails: dict[str, tuple[int, int]], hwmon: str = "hwmon3") -> Path:
    d = root / "sys/class/hwmon" / hwmon
    d.mkdir(parents=True)
    (d / "name").write_text("ina3221\n")
    for ch, (label, (mv, ma)) in enumerate(rails.items(), start=1):
        (d / f"in{ch}_label").write_text(label + "\n")
        (d / f"in{ch}_input").write_text(f"{mv}\n")
        (d / f"curr{ch}_input").write_text(f"{ma}\n")
    other = root / "sys/class/hwmon/hwmon0"
    other.mkdir()
    (other / "name").write_text("cpu_thermal\n")
    return d


def test_ina3221_reads_the_board_input_rail(tmp_path):
    # Orin-style: VDD_IN is the module's input; the others are inside it and must not be added
    _jetson_tree(tmp_path, {"VDD_IN": (5072, 1424), "VDD_CPU_GPU_CV": (5072, 392), "VDD_SOC": (5072, 584)})
    r = Ina3221Reader(str(tmp_path))
    assert r.rails == ["VDD_IN"]
    assert r.read() == 5072 * 1424  # mV × mA = µW: 7.22 W
    chosen = Ina3221Reader(str(tmp_path), ["VDD_CPU_GPU_CV", "VDD_SOC"])
    assert chosen.read() == 5072 * (392 + 584)
    with pytest.raises(NoMeter, match="VDD_GPU not present"):
        Ina3221Reader(str(tmp_path), ["VDD_GPU"])


def test_ina3221_integrates_power_over_a_window(tmp_path):
    d = _jetson_tree(tmp_path, {"VDD_IN": (5000, 1000)})
    r = Ina3221Reader(str(tmp_path))
    stop = threading.Event()

    def load():  # the board draws 5 W, then 10 W half-way through
        time.sleep(0.25)
        (d / "curr1_input").write_text("2000\n")
        stop.wait()
    th = threading.Thread(target=load)
    th.start()
    w = measure_window(r, lambda: (time.sleep(0.5), 1)[1], 0.5)
    stop.set()
    th.join()
    assert w["energy_uj"] == pytest.approx(7.5e6 * w["seconds"], rel=0.15)


def test_ina3221_absent_and_auto_detection(tmp_path):
    from edgeq.profiling.ondevice.energy.detect import detect_reader
    with pytest.raises(NoMeter, match="no INA3221"):
        Ina3221Reader(str(tmp_path))
    _jetson_tree(tmp_path, {"VDD_IN": (5000, 800)})
    r, why = detect_reader("auto", str(tmp_path))
    assert why is None and r.name == "ina3221"
