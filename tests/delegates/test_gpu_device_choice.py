"""Which OpenCL device libedgeq_gpu picks, with two real platforms in the ICD loader.

PoCL (a CPU device, the one that runs) plus a stub ICD (stub_icd/edgeq_stub_icd.c) whose
platform lists a 128-unit CPU device first, then GPUs of 8 and 64 compute units and an
accelerator; contexts on the stub fail. By default the delegate must take the GPU with the
most compute units (never a CPU device unless asked); `platform`, `device` and `device_type`
override; the report names every device seen, the one chosen and why. When the chosen device
cannot be opened the next one in order is tried. Runs in child processes (no TensorFlow there).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np  # noqa: F401 - the child uses it
import pytest

import _opmodels as om

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
POCL = "Portable Computing Language"
STUB = "edgeq stub platform"

_RUN = r"""
import json, sys
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
ref = Interpreter(model, resolver="reference")
gpu = Interpreter(model, resolver="reference", delegates=["gpu"],
                  delegate_options={"report_path": sys.argv[2], **json.loads(sys.argv[3])})
x = np.random.default_rng(0).integers(-128, 128, size=ref.inputs[0].shape, dtype=np.int8)
print(json.dumps({"equal": bool(np.array_equal(ref.run([x])[0], gpu.run([x])[0]))}))
"""


def _icd_loader() -> str:
    found = sorted(Path("/usr/lib").glob("*/libOpenCL.so.1")) + sorted(Path("/usr/lib").glob("libOpenCL.so.1"))
    assert found, "libOpenCL.so.1 from ocl-icd-libopencl1 is missing: apt install ocl-icd-libopencl1"
    return str(found[0])


@pytest.fixture(scope="module")
def vendors(tmp_path_factory) -> dict:
    """An OCL_ICD_VENDORS folder with PoCL's ICD and the stub's; and one with PoCL alone."""
    root = tmp_path_factory.mktemp("icd")
    stub = root / "libedgeq_stub_icd.so"
    res = subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O1", "-o", str(stub),
                          str(HERE / "stub_icd" / "edgeq_stub_icd.c")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    pocl = [p for p in Path("/etc/OpenCL/vendors").glob("*.icd") if "pocl" in p.name]
    assert pocl, "PoCL's ICD is missing: apt install pocl-opencl-icd"
    both, alone = root / "both", root / "pocl_only"
    for d in (both, alone):
        d.mkdir()
        (d / "pocl.icd").write_text(pocl[0].read_text())
    (both / "stub.icd").write_text(f"{stub}\n")
    return {"both": both, "pocl_only": alone}


def run(vendors_dir: Path, tmp_path: Path, env_extra: dict | None = None, **opts) -> tuple[dict, list[str]]:
    fn, shapes = om.conv2d(h=6, w=6, cin=4, cout=4, act="relu")
    model = tmp_path / "m.tflite"
    if not model.exists():
        model.write_bytes(om.convert(fn, shapes))
    report = tmp_path / "r.json"
    report.unlink(missing_ok=True)
    env = {**os.environ, "OCL_ICD_VENDORS": str(vendors_dir), "EDGEQ_OPENCL_LIBRARY": _icd_loader(),
           "OCL_ICD_PLATFORM_SORT": "none", **(env_extra or {})}
    for k in ("EDGEQ_GPU_PLATFORM", "EDGEQ_GPU_DEVICE"):
        env.pop(k, None)
    opts = {"cache_dir": str(tmp_path / "cache"), **opts}
    res = subprocess.run([sys.executable, "-c", _RUN, str(model), str(report), json.dumps(opts)], env=env,
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    # the model's output equals BUILTIN_REF whether the device or the runtime ran it
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"equal": True}
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("edgeq gpu delegate:")]
    return json.loads(report.read_text()), lines


def chosen(rep: dict) -> dict:
    (c,) = [d for d in rep["devices_seen"] if d["chosen"]]
    return c


def test_two_platforms_seen(vendors, tmp_path):
    rep, _ = run(vendors["both"], tmp_path)
    seen = {(d["platform"], d["device"], d["type"], d["compute_units"]) for d in rep["devices_seen"]}
    assert {(STUB, "edgeq stub CPU", "cpu", 128), (STUB, "edgeq stub GPU small", "gpu", 8),
            (STUB, "edgeq stub GPU big", "gpu", 64), (STUB, "edgeq stub accelerator", "accelerator", 4)} <= seen
    assert any(d["platform"] == POCL and d["type"] == "cpu" for d in rep["devices_seen"])


def test_default_takes_the_gpu_with_most_compute_units(vendors, tmp_path):
    """Not the first platform's first device (the stub CPU, 128 units) nor PoCL: the 64-unit GPU.
    The stub cannot create a context, so the model then runs on the runtime, and both the
    report and the one stderr line say which device failed; no CPU device is tried."""
    rep, lines = run(vendors["both"], tmp_path)
    assert chosen(rep)["device"] == "edgeq stub GPU big"
    assert rep["status"] == "unavailable" and rep["claimed"] == []
    assert "cannot create an OpenCL context on 'edgeq stub GPU big'" in rep["message"]
    assert "2 other device(s) failed too" in rep["message"]  # the 8-unit GPU, then the accelerator
    assert "a GPU with the most compute units" in rep["selection"]
    assert len(lines) == 1 and "edgeq stub GPU big" in lines[0] and "CPU runtime" in lines[0]


def test_platform_option_runs_on_pocl(vendors, tmp_path):
    rep, lines = run(vendors["both"], tmp_path, platform="portable")
    assert rep["status"] == "ok" and not lines
    assert rep["platform"] == POCL and rep["device_type"] == "cpu" and chosen(rep)["platform"] == POCL
    assert [c["op"] for c in rep["claimed"]] == ["CONV_2D"] and rep["partitions"][0]["invocations"] > 0


def test_device_type_cpu_falls_through_to_the_next_device(vendors, tmp_path):
    """device_type=cpu ranks the stub's 128-unit CPU first; it cannot open, so PoCL runs the model."""
    rep, lines = run(vendors["both"], tmp_path, device_type="cpu")
    assert rep["status"] == "ok" and rep["platform"] == POCL and chosen(rep)["platform"] == POCL
    assert "the better one(s) failed" in rep["selection"] and "edgeq stub CPU" in rep["selection"]
    assert rep["partitions"][0]["invocations"] > 0


def test_device_option_by_name_and_type_filters(vendors, tmp_path):
    rep, _ = run(vendors["both"], tmp_path, device="gpu small")
    assert chosen(rep)["device"] == "edgeq stub GPU small" and rep["selection"] == "device option"
    rep, _ = run(vendors["both"], tmp_path, device_type="accelerator")
    assert chosen(rep)["device"] == "edgeq stub accelerator" and rep["status"] == "unavailable"


def test_cpu_device_only_when_asked(vendors, tmp_path):
    rep, lines = run(vendors["pocl_only"], tmp_path)
    assert rep["status"] == "unavailable" and rep["claimed"] == []
    assert "no GPU or accelerator OpenCL device here" in rep["message"] and "device_type=cpu" in rep["message"]
    assert len(lines) == 1 and POCL in lines[0]
    rep, lines = run(vendors["pocl_only"], tmp_path, device_type="cpu")
    assert rep["status"] == "ok" and rep["platform"] == POCL and not lines


def test_bad_device_type_is_one_line(vendors, tmp_path):
    env = {**os.environ, "OCL_ICD_VENDORS": str(vendors["both"])}
    code = ("from edgeq.runtime import Interpreter\nimport sys\n"
            "try:\n    Interpreter(open(sys.argv[1],'rb').read(), delegates=['gpu'], "
            "delegate_options={'device_type': 'fpga'})\nexcept Exception as e:\n    print(type(e).__name__, e)")
    fn, shapes = om.dense(batch=1, cin=8, cout=4)
    model = tmp_path / "d.tflite"
    model.write_bytes(om.convert(fn, shapes))
    out = subprocess.run([sys.executable, "-c", code, str(model)], env=env, capture_output=True, text=True,
                         timeout=120, cwd=REPO).stdout.strip()
    assert out.startswith("DelegateError") and "device_type='fpga' is invalid: use auto, gpu, cpu" in out
    assert "\n" not in out


def _memos(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("device-*.txt"))


def test_remembered_device_loads_only_its_driver(vendors, tmp_path):
    """A start that chose and opened a device remembers it in the cache folder; the next start with
    the same options and ICDs loads that driver alone (the stub ICD is never loaded), runs there,
    and says so. Warm start is what this saves: other drivers' initialisation."""
    mark = tmp_path / "stub_loaded.txt"
    rep, _ = run(vendors["both"], tmp_path, env_extra={"EDGEQ_STUB_ICD_MARK": str(mark)}, platform="portable")
    assert rep["status"] == "ok" and rep["device_choice"] == "enumerated"
    assert any(d["platform"] == STUB for d in rep["devices_seen"]) and mark.exists()
    (memo,) = _memos(tmp_path)
    lib, plat, dev, index = memo.read_text().splitlines()
    assert "pocl" in Path(lib).name and Path(lib).is_absolute() and plat == POCL and dev == rep["device"]
    mark.unlink()
    rep, lines = run(vendors["both"], tmp_path, env_extra={"EDGEQ_STUB_ICD_MARK": str(mark)}, platform="portable")
    assert rep["status"] == "ok" and not lines and rep["device_choice"] == "remembered"
    assert "remembered from an earlier start" in rep["selection"] and str(memo) in rep["selection"]
    assert {d["platform"] for d in rep["devices_seen"]} == {POCL} and chosen(rep)["device"] == dev
    assert not mark.exists()  # the other driver was not even loaded
    assert [c["op"] for c in rep["claimed"]] == ["CONV_2D"] and rep["partitions"][0]["invocations"] > 0


def test_remembered_choice_is_keyed_by_options_and_installed_icds(vendors, tmp_path):
    run(vendors["both"], tmp_path, platform="portable")
    assert len(_memos(tmp_path)) == 1
    rep, _ = run(vendors["both"], tmp_path, device_type="cpu")  # other options: enumerate again
    assert rep["device_choice"] == "enumerated" and "the better one(s) failed" in rep["selection"]
    rep, _ = run(vendors["pocl_only"], tmp_path, platform="portable")  # other ICDs installed
    assert rep["device_choice"] == "enumerated" and rep["status"] == "ok"
    rep, _ = run(vendors["pocl_only"], tmp_path, platform="portable")
    assert rep["device_choice"] == "remembered" and rep["status"] == "ok"


def test_stale_memo_enumerates_again(vendors, tmp_path):
    """A remembered driver that is gone (or a damaged file) costs nothing but the full enumeration."""
    run(vendors["both"], tmp_path, platform="portable")
    (memo,) = _memos(tmp_path)
    lines = memo.read_text().splitlines()
    memo.write_text("\n".join([str(tmp_path / "gone" / "libdriver.so")] + lines[1:]) + "\n")
    rep, msgs = run(vendors["both"], tmp_path, platform="portable")
    assert rep["status"] == "ok" and rep["device_choice"] == "enumerated" and not msgs
    assert memo.read_text().splitlines() == lines  # rewritten with the real driver
    memo.write_text("garbage")
    rep, _ = run(vendors["both"], tmp_path, platform="portable")
    assert rep["status"] == "ok" and rep["device_choice"] == "enumerated"


_MANY = r"""
import json, sys
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
tmp, runs = sys.argv[2], json.loads(sys.argv[3])
ref = Interpreter(model, resolver="reference")
x = np.random.default_rng(0).integers(-128, 128, size=ref.inputs[0].shape, dtype=np.int8)
want = ref.run([x])[0]
keep, out = [], []
for i, opts in enumerate(runs):
    path = f"{tmp}/r{i}.json"
    it = Interpreter(model, resolver="reference", delegates=["gpu"], delegate_options={**opts, "report_path": path})
    equal = bool(np.array_equal(it.run([x])[0], want))
    rep = json.load(open(path))
    chosen = [d["device"] for d in rep.get("devices_seen", []) if d["chosen"]]
    out.append({"equal": equal, "status": rep["status"], "platform": rep.get("platform"),
                "device": chosen[0] if chosen else None, "reused": rep.get("device_reused"),
                "ran": sum(p["invocations"] for p in rep.get("partitions", []))})
    keep.append(it)
print(json.dumps(out))
"""


def test_second_platform_choice_in_one_process(vendors, tmp_path):
    """Delegates of one process whose options choose differently each get their own device (PoCL by name, PoCL as
    the CPU device left when the stub's CPU fails), a repeated choice reuses its first delegate's context, and a
    choice whose device cannot open (the stub GPU) stays unavailable every time instead of borrowing another's."""
    fn, shapes = om.conv2d(h=6, w=6, cin=4, cout=4, act="relu")
    model = tmp_path / "m.tflite"
    model.write_bytes(om.convert(fn, shapes))
    env = {**os.environ, "OCL_ICD_VENDORS": str(vendors["both"]), "EDGEQ_OPENCL_LIBRARY": _icd_loader(),
           "OCL_ICD_PLATFORM_SORT": "none"}
    for k in ("EDGEQ_GPU_PLATFORM", "EDGEQ_GPU_DEVICE"):
        env.pop(k, None)
    cache = {"cache_dir": str(tmp_path / "cache")}
    runs = [cache, {**cache, "platform": "portable"}, {**cache, "device_type": "cpu"},
            {**cache, "platform": "portable"}, cache]
    res = subprocess.run([sys.executable, "-c", _MANY, str(model), str(tmp_path), json.dumps(runs)], env=env,
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    default, by_name, cpu, by_name_again, default_again = json.loads(res.stdout.strip().splitlines()[-1])
    assert all(r["equal"] for r in (default, by_name, cpu, by_name_again, default_again))
    for r in (default, default_again):
        assert r["status"] == "unavailable" and r["ran"] == 0 and r["device"] == "edgeq stub GPU big"
    for r in (by_name, cpu, by_name_again):
        assert r["status"] == "ok" and r["platform"] == POCL and r["ran"] >= 1
    assert by_name["reused"] is False and cpu["reused"] is False and by_name_again["reused"] is True
