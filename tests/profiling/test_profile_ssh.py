"""edgeq profile over ssh against a real OpenSSH sshd the test starts on 127.0.0.1.

Host-key checking stays on: the test writes known_hosts itself and passes its ssh_config
through EDGEQ_SSH_OPTS.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from edgeq.profiling.cli import profile
from profiling_helpers import FAST, free_port, profile_ok, ssh_client_config, start_sshd, tap_python


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    d = tmp_path_factory.mktemp("sshd")
    os.chmod(d, 0o700)
    proc, port = start_sshd(d)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "stranger_key")], check=True)
    yield {"dir": d, "port": port}
    proc.terminate()
    proc.wait(timeout=10)


def _client_config(sshd, key="user_key", known="known_hosts"):
    return ssh_client_config(sshd["dir"], key, known)


def _uri(sshd, python=sys.executable, port=None):
    import getpass
    return f"ssh://{getpass.getuser()}@127.0.0.1:{port or sshd['port']}?python={python}"


def test_profile_over_ssh_end_to_end(sshd, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    dev = profile_ok(tiny_model, _uri(sshd), tmp_path / "rep", "--delegate", "none", "--delegate", "xnnpack")
    assert sorted(c["label"] for c in dev["configs"]) == ["none/t1", "xnnpack/t1"]
    assert all(c["steady"]["count"] >= 20 and c["memory"]["available"] for c in dev["configs"])
    # the agent cleaned up its working dir on the device
    assert dev["workdir"].startswith("/") and not os.path.exists(dev["workdir"])


def test_keep_leaves_verified_files(sshd, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd), "--delegate", "none", "--keep", "--json",
                                     "--no-memory", "-o", str(tmp_path / "rep"), *FAST])
    assert r.exit_code == 0, r.output
    wd = json.loads(r.output)["devices"][0]["workdir"]
    try:
        files = set(os.listdir(wd))
        assert {"python_agent.py", "pushed_edgeq.py", "model.tflite", "manifest.json", "request.json", "pkg"} <= files
        assert os.path.isfile(os.path.join(wd, "pkg/edgeq/runtime.py"))
        assert open(os.path.join(wd, "model.tflite"), "rb").read() == tiny_model.read_bytes()
    finally:
        shutil.rmtree(wd, ignore_errors=True)


def test_corrupted_push_is_refused_by_the_agent(sshd, tiny_model, tmp_path):
    """The agent's checksum check: run it by hand on a kept bundle with a flipped model byte."""
    from edgeq.profiling.runners.agent_bundle import build_bundle
    import zipfile
    bundle = tmp_path / "b.zip"
    sha = build_bundle(bundle, tiny_model, {"model": "model.tflite", "configs": [], "options": {}}, None)
    wd = tmp_path / "wd"
    zipfile.ZipFile(bundle).extractall(wd)
    data = bytearray((wd / "model.tflite").read_bytes())
    data[-1] ^= 0xFF
    (wd / "model.tflite").write_bytes(bytes(data))
    p = subprocess.run([sys.executable, str(wd / "python_agent.py"), "--manifest-sha256", sha],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "model.tflite checksum mismatch" in p.stdout
    assert not wd.exists()  # it still removed its working dir


@pytest.mark.parametrize("case", ["auth", "hostkey", "unreachable"])
def test_ssh_failures_are_one_line_errors(sshd, tiny_model, tmp_path, monkeypatch, case):
    if case == "auth":
        cfg, port, want = _client_config(sshd, key="stranger_key"), None, "authentication refused"
    elif case == "hostkey":
        wrong = sshd["dir"] / "wrong_known_hosts"
        other = (sshd["dir"] / "stranger_key.pub").read_text().split()
        wrong.write_text(f"[127.0.0.1]:{sshd['port']} {other[0]} {other[1]}\n")
        cfg, port, want = _client_config(sshd, known="wrong_known_hosts"), None, "host key not trusted"
    else:
        cfg, port, want = _client_config(sshd), free_port(), "connection refused"
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {cfg}")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd, port=port), "-o", str(out), *FAST])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(lines) == 1 and want in lines[0], r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "failed" and want in dev["error"]


def test_agent_crash_mid_run_keeps_partial_results(sshd, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    wrapper, flag = tap_python(tmp_path, "crash")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd, python=str(wrapper)), "--delegate", "none",
                                     "--delegate", "xnnpack", "-o", str(out), *FAST])
    assert flag.exists()
    assert r.exit_code == 2
    assert "agent exited with status 137 before finishing" in r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "partial"
    assert len(dev["configs"]) >= 1 and dev["configs"][0]["steady"]["count"] >= 20
    assert not os.path.exists(dev["workdir"])  # the host cleaned up after the dead agent
    assert "partial results below are kept" in (out / "report.html").read_text()
