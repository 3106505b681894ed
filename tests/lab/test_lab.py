"""``edgeq lab`` end to end: real namespaces, a real arm64 chroot under qemu, real sshd, adb and pty.

One lab per module: a start takes seconds with the cached rootfs; cold, the first start builds it
into ~/.cache/edgeq/lab (5-15 minutes on two shared cores). Convert a small model, profile it on
the virtual Pi (with and without edgeq's CPU delegate), the phone and the board, check the arm64
outputs equal LiteRT's reference kernels on x86 bit for bit, then stop the lab and check nothing
of it is left on the host.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from profiling_helpers import FAST, free_port

REPO = Path(__file__).resolve().parents[2]
EDGEQ = [sys.executable, "-m", "edgeq.cli"]

# ran on the devices: edgeq's runtime layer (pushed beside it) with and without the CPU delegate
DEVICE_SCRIPT = r'''
import json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkg"))
import numpy as np
from edgeq.runtime import Interpreter
d = os.path.dirname(os.path.abspath(__file__))
x = np.load(os.path.join(d, "x.npy"))
out = {"machine": os.uname().machine}
for label, resolver, delegates in (("reference", "reference", []), ("builtin", "builtin", []),
                                   ("cpu", "builtin", ["cpu"])):
    opts = {"report_path": os.path.join(d, "claimed.json")} if delegates else None
    it = Interpreter(os.path.join(d, "model.tflite"), resolver=resolver, delegates=delegates,
                     delegate_options=opts, num_threads=1)
    y = it.run([x])[0]
    out[label] = {"hex": y.tobytes().hex(), "dtype": str(y.dtype), "shape": list(y.shape),
                  "delegates": it.describe()["delegates"]}
    if delegates:
        out[label]["claimed"] = len(json.load(open(os.path.join(d, "claimed.json")))["claimed"])
print("@@OUT " + json.dumps(out))
'''


def _edgeq(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*EDGEQ, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A small conv net converted by edgeq itself (int8 I/O), plus a fixed int8 input."""
    import keras

    import edgeq
    from edgeq.datasets import Samples

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((12, 12, 3), batch_size=1), keras.layers.Conv2D(8, 3, activation="relu"),
                            keras.layers.DepthwiseConv2D(3, activation="relu"), keras.layers.AveragePooling2D(2),
                            # no Flatten: its SHAPE/PACK ops make tensors dynamic, which the delegate refuses
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5), keras.layers.Softmax()])
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((32, 12, 12, 3)).astype(np.float32)
    d = tmp_path_factory.mktemp("lab_model")
    path = edgeq.convert(net, Samples([calib])).save(d / "model.tflite", manifest_sidecar=False)
    np.save(d / "x.npy", rng.integers(-128, 127, size=(1, 12, 12, 3), endpoint=True).astype(np.int8))
    return Path(path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A started lab (state in a temp dir, rootfs from the shared cache); stopped afterwards in any case."""
    d = tmp_path_factory.mktemp("labstate")
    home = tmp_path_factory.mktemp("adbhome")
    adb_port = free_port()
    env = dict(os.environ, EDGEQ_LAB_DIR=str(d), TF_CPP_MIN_LOG_LEVEL="3",
               ANDROID_ADB_SERVER_PORT=str(adb_port), HOME=str(home),
               EDGEQ_LAB_CACHE=os.environ.get("EDGEQ_LAB_CACHE", str(Path.home() / ".cache" / "edgeq" / "lab")))
    # a cold start builds the rootfs under emulation (tens of minutes on two cores)
    r = _edgeq(env, "lab", "start", timeout=3600)
    try:
        assert r.returncode == 0, r.stderr + r.stdout
        st = _edgeq(env, "lab", "status", "--json", timeout=60)
        assert st.returncode == 0, st.stderr
        status = json.loads(st.stdout)
        # the phone trusts only the lab's key (this HOME had no adb key at start): adb's server must offer it
        env["ADB_VENDOR_KEYS"] = status["devices"]["phone"]["adb_key"]
        yield {"env": env, "dir": d, "status": status, "start_out": r.stdout}
    finally:
        _edgeq(env, "lab", "stop", timeout=300)
        subprocess.run(["adb", "-P", str(adb_port), "kill-server"], env=env, capture_output=True, timeout=30)


def test_status_reports_three_emulated_devices(lab):
    st = lab["status"]
    assert st["running"] is True
    devs = st["devices"]
    assert set(devs) == {"pi", "phone", "board"}
    assert all(d["up"] for d in devs.values())
    assert devs["pi"]["uri"] == f"ssh://root@{devs['pi']['addr']}?emulated=1"
    assert devs["phone"]["uri"].startswith("adb://10.213.0.") and devs["phone"]["uri"].endswith(":5555?emulated=1")
    assert devs["board"]["uri"].startswith("mcu://mps2-an386?port=/dev/pts/")
    assert devs["pi"]["ssh_options"] == ["-F", devs["pi"]["ssh_config"]]
    assert "NOT hardware timings" in st["notice"]
    # the plain-text status names the serial URI and the ssh command
    txt = _edgeq(lab["env"], "lab", "status").stdout
    assert devs["board"]["uri"] in txt and f"ssh -F {devs['pi']['ssh_config']}" in txt


def _ssh(lab, command: str, stdin: bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    pi = lab["status"]["devices"]["pi"]
    return subprocess.run(["ssh", *pi["ssh_options"], "-o", "BatchMode=yes", f"root@{pi['addr']}", command],
                          input=stdin, capture_output=True, timeout=timeout)


def test_pi_is_arm64_with_key_auth_and_strict_host_keys(lab, tmp_path):
    r = _ssh(lab, "uname -m; echo $QEMU_CPU; ls /opt/edgeq/native")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == ["aarch64", "max", "libedgeq_cpu.so"]
    # a host key that is not the one the lab recorded is refused (checking is really on)
    pi = lab["status"]["devices"]["pi"]
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    other = tmp_path / "known_hosts"
    other.write_text(f"{pi['addr']} {(tmp_path / 'k.pub').read_text().split()[0]} "
                     f"{(tmp_path / 'k.pub').read_text().split()[1]}\n")
    r = subprocess.run(["ssh", *pi["ssh_options"], "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={other}",
                        f"root@{pi['addr']}", "true"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 255 and "host key" in r.stderr.lower()


def test_pi_cpu_has_dotprod_and_the_delegate_carries_those_kernels(lab, tmp_path):
    # what the delegate's runtime dispatch sees: the emulated CPU's hwcaps (AT_HWCAP=16, AT_HWCAP2=26)
    r = _ssh(lab, "python3 -c 'import ctypes; f = ctypes.CDLL(None).getauxval; f.restype = ctypes.c_ulong; "
                  "print(f(16), f(26))'")
    assert r.returncode == 0, r.stderr.decode()
    hwcap, hwcap2 = (int(v) for v in r.stdout.split())
    assert hwcap & (1 << 1) and hwcap & (1 << 20), hex(hwcap)  # ASIMD (NEON), ASIMDDP (dotprod)
    assert hwcap2 & (1 << 13), hex(hwcap2)  # I8MM
    # and the library installed on the Pi holds SDOT/SMMLA code to dispatch to
    lib = tmp_path / "libedgeq_cpu.so"
    lib.write_bytes(_ssh(lab, "cat /opt/edgeq/native/libedgeq_cpu.so").stdout)
    dis = subprocess.run(["aarch64-linux-gnu-objdump", "-d", str(lib)], capture_output=True, text=True,
                         check=True).stdout
    assert "\tsdot\t" in dis and "\tsmmla\t" in dis


def _push_dir(model: Path, tmp: Path) -> Path:
    d = tmp / "push"
    (d / "pkg" / "edgeq").mkdir(parents=True)
    (d / "pkg" / "edgeq" / "__init__.py").write_text("")
    for f in ("runtime.py", "errors.py"):
        shutil.copy(REPO / "edgeq" / f, d / "pkg" / "edgeq" / f)
    shutil.copy(model, d / "model.tflite")
    shutil.copy(model.parent / "x.npy", d / "x.npy")
    (d / "outputs.py").write_text(DEVICE_SCRIPT)
    return d


def _host_reference(model: Path) -> str:
    from edgeq.runtime import Interpreter
    x = np.load(model.parent / "x.npy")
    y = Interpreter(model, resolver="reference", runtime="ai-edge-litert").run([x])[0]
    assert y.dtype == np.int8 and y.shape == (1, 5)
    return y.tobytes().hex()


def _parse(stdout: str) -> dict:
    line = next(ln for ln in stdout.splitlines() if ln.startswith("@@OUT "))
    return json.loads(line[len("@@OUT "):])


def _check_outputs(out: dict, ref_hex: str) -> None:
    assert out["machine"] == "aarch64"
    for label in ("reference", "builtin", "cpu"):
        assert out[label]["hex"] == ref_hex, (label, out[label]["hex"], ref_hex)
    assert out["cpu"]["delegates"] == ["/opt/edgeq/native/libedgeq_cpu.so"]
    assert out["cpu"]["claimed"] >= 3  # conv, depthwise, pool, fc, softmax: the delegate really ran


def test_pi_outputs_equal_x86_reference_kernels(lab, model, tmp_path):
    d = _push_dir(model, tmp_path)
    tar = subprocess.run(["tar", "-C", str(d), "-c", "."], capture_output=True, check=True).stdout
    r = _ssh(lab, "rm -rf /tmp/eqout && mkdir /tmp/eqout && tar -C /tmp/eqout -x && "
                  "python3 /tmp/eqout/outputs.py", stdin=tar)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    _check_outputs(_parse(r.stdout.decode()), _host_reference(model))


def _adb(lab, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    serial = lab["status"]["devices"]["phone"]["uri"].split("//")[1].split("?")[0]
    return subprocess.run(["adb", "-s", serial, *args], env=lab["env"], capture_output=True, text=True,
                          timeout=timeout)


def test_phone_answers_real_adb_and_matches_reference(lab, model, tmp_path):
    phone = lab["status"]["devices"]["phone"]
    c = subprocess.run(["adb", "connect", f"{phone['addr']}:5555"], env=lab["env"], capture_output=True,
                       text=True, timeout=60)
    assert "connected" in c.stdout, c.stdout + c.stderr
    r = _adb(lab, "shell", "uname -m; echo $TMPDIR")
    assert r.stdout.split() == ["aarch64", "/data/local/tmp"], r.stdout + r.stderr
    d = _push_dir(model, tmp_path)
    assert _adb(lab, "push", str(d), "/data/local/tmp/eqout").returncode == 0
    r = _adb(lab, "shell", "python3 /data/local/tmp/eqout/outputs.py")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    _check_outputs(_parse(r.stdout), _host_reference(model))


def test_profile_on_pi_phone_and_board_says_emulated(lab, model, tmp_path):
    env = dict(lab["env"], EDGEQ_DEVICE_PROFILES=lab["status"]["profiles_dir"])
    out = tmp_path / "rep"
    r = _edgeq(env, "profile", str(model), "-d", "lab-pi", "-d", "lab-phone", "-d", "lab-board",
               "--delegate", "none", "--delegate", "cpu", "-o", str(out), "--no-memory", *FAST, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rep = json.loads((out / "profile.json").read_text())
    by_name = {d["device"]["name"]: d for d in rep["devices"]}
    assert set(by_name) == {"lab-pi", "lab-phone", "lab-board"}
    for name, dev in by_name.items():
        assert dev["status"] == "ok", (name, dev["error"])
        assert dev["emulated"] is True and "NOT hardware" in dev["notice"]
    for name in ("lab-pi", "lab-phone"):
        labels = sorted(c["label"] for c in by_name[name]["configs"])
        assert labels == ["cpu/t1", "none/t1"], (name, labels)
        assert all(c["steady"]["count"] >= 20 for c in by_name[name]["configs"])
        assert by_name[name]["environment"]["before"]["machine"] == "aarch64"
        cpu = next(c for c in by_name[name]["configs"] if c["label"] == "cpu/t1")
        assert cpu["runtime"]["delegates"] == ["/opt/edgeq/native/libedgeq_cpu.so"]
        assert "DELEGATE" in cpu["op_profile"]["ops"]  # the aarch64 delegate took nodes over
    board = by_name["lab-board"]["configs"][0]  # edgeq firmware flashed onto the emulated Cortex-M4
    assert board["label"] == "edgeq-aot/cortex-m4" and board["bit_exact"]["equal"]
    assert board["instructions_per_inference"] > 0 and "icount" in board["note"]
    assert "NOT hardware" in (out / "report.html").read_text()


def test_bare_uris_from_status_work_unchanged(lab, model, tmp_path):
    # the ssh:// URI with the ssh options status prints, as a user would paste them
    pi = lab["status"]["devices"]["pi"]
    env = dict(lab["env"], EDGEQ_SSH_OPTS=shlex.join(pi["ssh_options"]))
    out = tmp_path / "rep"
    r = _edgeq(env, "profile", str(model), "-d", pi["uri"], "--delegate", "cpu", "-o", str(out),
               "--no-memory", *FAST, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "ok", dev["error"]
    assert dev["emulated"] is True


def test_start_while_running_is_refused(lab):
    r = _edgeq(lab["env"], "lab", "start", timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("edgeq: error: a lab is already running")


def test_start_without_root_is_one_line_error(tmp_path):
    os.chmod(tmp_path, 0o777)
    env = dict(os.environ, EDGEQ_LAB_DIR=str(tmp_path / "lab"), HOME=str(tmp_path))
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *EDGEQ, "lab", "start"],
                       env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        "edgeq: error: edgeq lab start needs root (network namespaces, mounts, chroot): "
        "run it as root, e.g. sudo edgeq lab start"]


def test_stop_leaves_nothing_behind(lab):
    st = lab["status"]["devices"]
    pids = [st[n]["pid"] for n in ("pi", "phone", "board")]
    r = _edgeq(lab["env"], "lab", "stop", timeout=300)
    assert r.returncode == 0, r.stderr
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "edgeq-lab-" not in ns
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert "eqlab-" not in links
    mounts = Path("/proc/mounts").read_text()
    assert str(lab["dir"]) not in mounts and "edgeq-lab-" not in mounts
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        assert state == "Z", f"lab process {pid} still running"
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmd = (p / "cmdline").read_bytes()
            except OSError:
                continue
            assert b"edgeq-lab-init" not in cmd and str(lab["dir"]).encode() not in cmd, cmd
    assert not (lab["dir"] / "state.json").exists()
    assert json.loads(_edgeq(lab["env"], "lab", "status", "--json").stdout)["running"] is False
    again = _edgeq(lab["env"], "lab", "stop", timeout=120)  # idempotent: nothing to do is no error
    assert again.returncode == 0 and "nothing was running" in again.stderr
