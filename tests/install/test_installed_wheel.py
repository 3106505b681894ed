"""An installed edgeq works as well as a checkout: build the wheel, install it into a fresh virtual
environment outside the checkout, and use it from another folder (convert, compile, both delegates).

The wheel is installed with ``--no-deps``; its dependencies (TensorFlow, LiteRT, ...) come from the
environment running the tests, through a ``.pth`` file, so the test installs nothing from an index.
Only the venv's own site-packages holds ``edgeq``, and every test checks it is that copy that ran.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


class Installed:
    def __init__(self, root: Path, wheel: Path):
        self.root, self.wheel = root, wheel
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.edgeq = self.venv / "bin" / "edgeq"
        self.work = root / "work"  # "another folder": neither the checkout nor the venv
        self.work.mkdir(exist_ok=True)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "EDGEQ_DELEGATE_DIR", "VIRTUAL_ENV", "PYTHONHOME")}
        self.env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONNOUSERSITE="1")

    def run(self, argv: list[str], timeout: float = 600, env: dict | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=self.work, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout, input=input)

    def py(self, code: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
        return self.run([str(self.python), "-c", code], timeout=timeout, env=env)

    def site_packages(self) -> Path:
        r = self.py("import sysconfig; print(sysconfig.get_paths()['purelib'])")
        return Path(r.stdout.strip())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    # a build folder of its own: the checkout's build/ stays the editable install's
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(REPO),
                        f"--config-settings=build-dir={root / 'build'}"], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next((root / "dist").glob("edgeq-*.whl"))
    inst = Installed(root, wheel)
    subprocess.run([sys.executable, "-m", "venv", str(inst.venv)], check=True, timeout=300)
    r = inst.run([str(inst.python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                 timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (inst.site_packages() / "_edgeq_test_dependencies.pth").write_text("\n".join(deps) + "\n")
    return inst


@pytest.fixture(scope="module")
def model(installed: Installed) -> Path:
    """A small conv net converted by the installed ``edgeq convert``, plus an int8 input."""
    import keras

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8, 8, 3), batch_size=1), keras.layers.Conv2D(8, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5), keras.layers.Softmax()])
    net.save(installed.work / "tiny.keras")
    rng = np.random.default_rng(0)
    np.save(installed.work / "calib.npy", rng.standard_normal((16, 8, 8, 3)).astype(np.float32))
    np.save(installed.work / "x.npy", rng.integers(-128, 127, size=(1, 8, 8, 3), endpoint=True).astype(np.int8))
    r = installed.run([str(installed.edgeq), "convert", "tiny.keras", "--data", "calib.npy", "-o", "tiny_int8.tflite"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "all integer" in r.stdout
    return installed.work / "tiny_int8.tflite"


def test_wheel_carries_delegates_sources_and_the_aarch64_delegate(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for f in ("edgeq/_native/libedgeq_cpu.so", "edgeq/_native/libedgeq_gpu.so",
              "edgeq/delegates/CMakeLists.txt", "edgeq/delegates/cmake/aarch64-linux-gnu.cmake",
              "edgeq/delegates/kernels/base/requant.h", "edgeq/devices/agents/python_agent.py"):
        assert f in names, f
    # built with the wheel where the cross compiler exists (CI installs it: tests/apt-packages.txt)
    cross = shutil.which("aarch64-linux-gnu-gcc") is not None
    assert ("edgeq/_native/aarch64/libedgeq_cpu.so" in names) == cross


def test_the_venv_copy_is_what_runs(installed):
    r = installed.py("import edgeq, edgeq.runtime as r, edgeq.resources as s, edgeq.compile.kernels as k\n"
                     "print(edgeq.__file__); print(r.delegate_path('cpu')); print(r.delegate_path('gpu'))\n"
                     "print(s.devices_dir()); print(k.kernels_dir())")
    assert r.returncode == 0, r.stderr
    venv = str(installed.venv.resolve())
    for line in r.stdout.split():
        assert line.startswith(venv), (line, venv)


def test_convert_and_compile_from_another_folder(installed, model):
    r = installed.run([str(installed.edgeq), "compile", str(model), "--name", "model", "-o", "fw"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert (installed.work / "fw" / "model.c").is_file()
    assert any((installed.work / "fw" / "edgeq_kernels").glob("*.c"))


# Run by the venv's python in a process that does not import TensorFlow (LLVM-based OpenCL drivers such as
# PoCL clash with TensorFlow's LLVM: delegates/gpu/cl_api.c). PoCL's device is a CPU one, which the gpu delegate
# takes only when asked (platform=...).
LOAD_BOTH = r'''
import json, sys
import numpy as np
from edgeq.runtime import Interpreter
x = np.load("x.npy")
ref = Interpreter("tiny_int8.tflite", resolver="reference").run([x])[0]
out = {"modules": "tensorflow" in sys.modules}
for name in ("cpu", "gpu"):
    rep = f"claimed_{name}.json"
    opts = {"report_path": rep, **({"platform": "Portable Computing Language"} if name == "gpu" else {})}
    it = Interpreter("tiny_int8.tflite", resolver="reference", delegates=[name], delegate_options=opts)
    y = it.run([x])[0]
    r = json.load(open(rep))
    out[name] = {"same": bool(np.array_equal(y, ref)), "claimed": len(r["claimed"]), "path": it.describe()["delegates"],
                 "platform": r.get("platform")}
print(json.dumps(out))
'''


def test_both_delegates_load_and_match_the_reference_kernels(installed, model):
    r = installed.py(LOAD_BOTH)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["modules"] is False
    venv = str(installed.venv.resolve())
    for name in ("cpu", "gpu"):
        assert out[name]["same"], name
        assert out[name]["claimed"] == 4, out[name]  # CONV_2D, MEAN, FULLY_CONNECTED, SOFTMAX
        assert out[name]["path"][0].startswith(venv)
    assert "portable" in out["gpu"]["platform"].lower(), out["gpu"]  # PoCL: "Portable Computing Language"


def test_an_op_the_delegate_does_not_have_is_one_line(installed, model):
    # LSH_PROJECTION: a TFLite op neither delegate has (nor is likely to get)
    code = ("from edgeq.runtime import Interpreter\nfrom edgeq.errors import DelegateError\n"
            "for name, op in (('gpu', 'LSH_PROJECTION'), ('cpu', 'LSH_PROJECTION')):\n"
            "    try:\n"
            "        Interpreter('tiny_int8.tflite', delegates=[name], delegate_options={'ops': 'CONV_2D,' + op})\n"
            "        print('loaded')\n"
            "    except DelegateError as e:\n"
            "        print(e)\n")
    r = installed.py(code)
    assert r.returncode == 0, r.stderr[-2000:]
    gpu, cpu = r.stdout.strip().splitlines()
    for line, who, op in ((gpu, "gpu", "LSH_PROJECTION"), (cpu, "cpu", "LSH_PROJECTION")):
        assert f"edgeq {who} delegate: unknown op '{op}' in option ops: this delegate has CONV_2D, " in line, line
        assert op not in line.split("this delegate has ", 1)[1].split(";")[0].split(", ")
    r = installed.run([str(installed.edgeq), "inspect", "tiny_int8.tflite", "--delegate", "gpu",
                       "--delegate-option", "ops=CONV_2D,LSH_PROJECTION"])
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"edgeq: error: {gpu}"]


def test_opencl_runtime_is_reported(installed):
    r = installed.py("from edgeq import opencl_probe as o; print(o.describe(o.probe()))")
    assert r.returncode == 0, r.stderr
    assert "Portable Computing Language (OpenCL " in r.stdout, r.stdout  # PoCL, maybe beside other platforms
    r = installed.py("from edgeq import opencl_probe as o; print(o.describe(o.probe()))",
                     env={"EDGEQ_OPENCL_LIBRARY": str(installed.root / "nowhere" / "libOpenCL.so.1")})
    assert r.stdout.startswith("no OpenCL runtime ("), r.stdout



def test_lab_cross_builds_from_the_wheel_sources_without_a_prebuilt_delegate(installed, tmp_path):
    # a wheel built without the cross compiler: the lab cross-builds from the sources the wheel carries
    cache = tmp_path / "cache"
    cache.mkdir()
    r = installed.py("import sys\nfrom pathlib import Path\nfrom edgeq.lab import pi\nfrom edgeq.resources import "
                     "delegates_dir\nprint(delegates_dir())\nprint(pi.build_delegate(Path(sys.argv[1])))"
                     .replace("sys.argv[1]", repr(str(cache))), timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    src, lib = r.stdout.split()[-2:]
    assert src.startswith(str(installed.venv.resolve())), src
    elf = Path(lib).read_bytes()[:20]
    assert elf[:4] == b"\x7fELF" and int.from_bytes(elf[18:20], "little") == 183  # EM_AARCH64


def _lab_running() -> bool:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count("edgeq-lab") > 0


@pytest.mark.skipif(os.geteuid() != 0, reason="edgeq lab needs root (network namespaces, mounts, chroot)")
def test_lab_start_status_stop_from_the_installed_package(installed, tmp_path):
    """The lab runs from site-packages: the Pi gets the wheel's prebuilt aarch64 delegate (or one cross-built
    from the wheel's sources). Cold, the first start builds the arm64 rootfs into the shared cache that
    tests/lab then reuses (minutes)."""
    if _lab_running():
        pytest.skip("another edgeq lab is running on this machine (one at a time): stop it to run this test")
    env = {"EDGEQ_LAB_DIR": str(tmp_path / "lab"), "HOME": str(tmp_path),
           "EDGEQ_LAB_CACHE": os.environ.get("EDGEQ_LAB_CACHE", str(Path.home() / ".cache" / "edgeq" / "lab"))}
    edgeq = str(installed.edgeq)
    r = installed.run([edgeq, "lab", "start"], env=env, timeout=3600)
    try:
        assert r.returncode == 0, (r.stderr + r.stdout)[-3000:]
        wheel_lib = installed.site_packages() / "edgeq" / "_native" / "aarch64" / "libedgeq_cpu.so"
        if wheel_lib.is_file():
            assert f"the aarch64 CPU delegate that came with edgeq ({wheel_lib})" in r.stderr, r.stderr
        else:
            assert "cross-building the edgeq CPU delegate" in r.stderr, r.stderr
        st = installed.run([edgeq, "lab", "status", "--json"], env=env, timeout=120)
        assert st.returncode == 0, st.stderr
        status = json.loads(st.stdout)
        assert status["running"] is True and set(status["devices"]) == {"pi", "phone", "board"}
        pi = status["devices"]["pi"]
        ssh = subprocess.run(["ssh", "-F", pi["ssh_config"], "-o", "BatchMode=yes", f"root@{pi['addr']}",
                              "uname -m; sha256sum /opt/edgeq/native/libedgeq_cpu.so"],
                             capture_output=True, text=True, timeout=300)
        assert ssh.returncode == 0, ssh.stderr
        machine, digest = ssh.stdout.split()[:2]
        assert machine == "aarch64"
        if wheel_lib.is_file():
            import hashlib
            assert digest == hashlib.sha256(wheel_lib.read_bytes()).hexdigest()
    finally:
        stop = installed.run([edgeq, "lab", "stop"], env=env, timeout=600)
    assert stop.returncode == 0, stop.stderr
    st = installed.run([edgeq, "lab", "status", "--json"], env=env, timeout=120)
    assert json.loads(st.stdout)["running"] is False
    assert not _lab_running()


def test_a_broken_cross_toolchain_does_not_fail_the_install(tmp_path):
    # the wheel's aarch64 delegate is best effort: a cross compiler that fails leaves a warning, not a failed build
    build = tmp_path / "aarch64"
    r = subprocess.run(["cmake", f"-DSRC={REPO / 'delegates'}", f"-DBUILD={build}", "-DCROSS_PREFIX=edgeq-no-such-",
                        "-P", str(REPO / "delegates" / "cmake" / "aarch64-prebuilt.cmake")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "cross-building the aarch64 CPU delegate failed" in r.stderr and "edgeq lab cross-builds" in r.stderr
    assert not (build / "libedgeq_cpu.so").exists()
    assert "edgeq-no-such-gcc" in (build / "aarch64-build.log").read_text()
