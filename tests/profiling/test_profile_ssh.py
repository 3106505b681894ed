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
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgeq.profiling.cli import profile
from profiling_helpers import (FAST, CuttableLink, free_port, kill_tree_of, profile_ok, ssh_client_config, start_sshd,
                               tap_python)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    d = tmp_path_factory.mktemp("sshd")
    os.chmod(d, 0o700)
    proc, port = start_sshd(d)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "stranger_key")], check=True)
    yield {"dir": d, "port": port}
    proc.terminate()
    proc.wait(timeout=10)


def _client_config(sshd, key="user_key", known="known_hosts", strict=None):
    return ssh_client_config(sshd["dir"], key, known, strict)


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


def test_a_model_path_with_spaces_and_unicode_over_ssh(sshd, tiny_model, tmp_path, monkeypatch):
    """A user's file name (spaces, an umlaut, a quote) and report folder: pushed, verified and run on the device."""
    import shutil
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    d = tmp_path / "my models ü"
    d.mkdir()
    model = d / "tiny 'int8' ü.tflite"
    shutil.copy(tiny_model, model)
    dev = profile_ok(model, _uri(sshd), tmp_path / "rep ü", "--delegate", "none")
    assert dev["configs"][0]["steady"]["count"] >= 20


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


@pytest.mark.parametrize("case", ["auth", "hostkey", "unknown-hostkey", "unknown-hostkey-accept-new",
                                  "unknown-hostkey-no", "unreachable"])
def test_ssh_failures_are_one_line_errors(sshd, tiny_model, tmp_path, monkeypatch, case):
    if case == "auth":
        cfg, port, want = _client_config(sshd, key="stranger_key"), None, "authentication refused"
    elif case == "hostkey":  # a changed key
        wrong = sshd["dir"] / "wrong_known_hosts"
        other = (sshd["dir"] / "stranger_key.pub").read_text().split()
        wrong.write_text(f"[127.0.0.1]:{sshd['port']} {other[0]} {other[1]}\n")
        cfg, port, want = _client_config(sshd, known="wrong_known_hosts"), None, "host key not trusted"
    elif case.startswith("unknown-hostkey"):  # a key never seen: refused whatever the user's config says
        empty = sshd["dir"] / f"empty_known_hosts_{case}"
        empty.write_text("")
        strict = {"unknown-hostkey": None, "unknown-hostkey-accept-new": "accept-new", "unknown-hostkey-no": "no"}
        cfg, port, want = _client_config(sshd, known=empty.name, strict=strict[case]), None, "host key not trusted"
    else:
        cfg, port, want = _client_config(sshd), free_port(), "connection refused"
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {cfg}")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd, port=port), "-o", str(out), *FAST])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgeq: error:") and want in lines[0], r.output
    # nothing measured: no report (main wrote profile.json and report.html with the device failed and no figure)
    assert "nothing measured: no report written" in lines[0] and not out.exists(), r.output
    if case.startswith("unknown-hostkey"):
        assert empty.read_text() == ""  # the unknown key was not learned either


@pytest.mark.parametrize("uri, want", [
    ("ssh://host:notaport", "port that is not a number"),
    ("ssh://host:0", "not 1..65535"),
    ("ssh://host:99999", "not a number"),
    ("ssh://-oProxyCommand=touch@127.0.0.1", "is not a login name"),
    ("ssh://root:secret@127.0.0.1", "no password"),
    ("ssh://me@-oProxyCommand=x", "is not a host name"),
    ("ssh://a%20b@127.0.0.1", "is not a login name"),
    ("ssh://me@127.0.0.1/some/path", "has a path"),
])
def test_bad_ssh_uris_are_one_line_errors_before_ssh_runs(tiny_model, tmp_path, monkeypatch, uri, want):
    witness = tmp_path / "ran"
    monkeypatch.setenv("PATH", f"{_fake_ssh(tmp_path, witness)}:{os.environ['PATH']}")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", uri, "-o", str(out), *FAST])
    assert r.exit_code == 2 and r.exception is None or isinstance(r.exception, SystemExit), r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgeq: error:") and want in lines[0], r.output
    assert not witness.exists() and not out.exists()


def _fake_ssh(tmp_path, witness):
    """An 'ssh' first on PATH that only records being run: a refused URI must never reach ssh."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "ssh").write_text(f"#!/bin/sh\ntouch {witness}\nexit 255\n")
    (d / "ssh").chmod(0o755)
    return d


def _masters(root) -> list[str]:
    """ssh processes whose control path lies under ``root`` (edgeq's ControlMaster for this test)."""
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd.startswith("ssh") and str(root) in cmd:
                found.append(cmd)
    return found


def test_control_master_is_short_lived_and_closed_after_the_run(sshd, tiny_model, tmp_path, monkeypatch):
    from edgeq.profiling.links.ssh import CONTROL_PERSIST_S
    assert CONTROL_PERSIST_S <= 15
    import tempfile
    ctl = Path(tempfile.mkdtemp(prefix="eqt", dir="/tmp"))  # short: a socket path has 108 bytes
    monkeypatch.setattr(tempfile, "tempdir", str(ctl))  # edgeq's control socket dir lands here
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    seen = []
    from edgeq.profiling.links import ssh as ssh_mod
    real_close = ssh_mod.SshLink.close

    def close(self):
        seen.extend(_masters(ctl))  # the master ran during the run
        real_close(self)
    monkeypatch.setattr(ssh_mod.SshLink, "close", close)
    profile_ok(tiny_model, _uri(sshd), tmp_path / "rep", "--delegate", "none", "--no-memory")
    assert seen, "no ControlMaster was used"
    assert _masters(ctl) == [] and os.listdir(ctl) == []
    # a link never closed (a killed run): its master still ends on its own soon after the last command
    from edgeq.profiling.links.ssh import SshLink, _open_links
    import getpass
    link = SshLink(getpass.getuser(), "127.0.0.1", sshd["port"], ssh_config=str(_client_config(sshd)))
    _open_links.discard(link)
    assert link.run("echo hi")[1].strip() == "hi"
    assert _masters(ctl)
    t0 = time.monotonic()
    while _masters(ctl) and time.monotonic() - t0 < CONTROL_PERSIST_S + 10:
        time.sleep(0.5)
    assert not _masters(ctl), f"the master outlived ControlPersist={CONTROL_PERSIST_S} s"
    shutil.rmtree(ctl)


def test_agent_crash_mid_run_keeps_partial_results(sshd, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    wrapper, flag = tap_python(tmp_path, "crash")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd, python=str(wrapper)), "--delegate", "none",
                                     "--delegate", "xnnpack", "-o", str(out), *FAST])
    assert flag.exists()
    assert r.exit_code == 2
    assert "agent was killed by SIGKILL on the device before finishing (exit status 137)" in r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "incomplete"
    assert len(dev["configs"]) >= 1 and dev["configs"][0]["steady"]["count"] >= 20
    assert not os.path.exists(dev["workdir"])  # the host cleaned up after the dead agent
    assert "partial results below are kept" in (out / "report.html").read_text()


def test_agent_killed_by_a_signal_is_not_a_link_failure(sshd, tiny_model, tmp_path, monkeypatch):
    """The agent dies by SIGKILL as the session's own process: ssh exits 255 with no message."""
    monkeypatch.setenv("EDGEQ_SSH_OPTS", f"-F {_client_config(sshd)}")
    wrapper, flag = tap_python(tmp_path, "selfkill")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(sshd, python=str(wrapper)), "--delegate", "none",
                                     "--delegate", "xnnpack", "-o", str(out), *FAST])
    assert flag.exists() and r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and "no message" not in err[0], r.output
    assert "the device still answers, so it was killed there" in err[0] or "SIGKILL" in err[0], err[0]
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "incomplete" and len(dev["configs"]) == 2
    assert any(c.get("steady", {}).get("count", 0) >= 20 for c in dev["configs"])


def test_ctrl_c_streams_then_writes_what_finished_and_exits_130(sshd, tiny_model, tmp_path):
    import signal
    import tempfile
    ctl = Path(tempfile.mkdtemp(prefix="eqt", dir="/tmp"))
    wrapper, flag = tap_python(tmp_path, "flag")  # holds the agent after its first configuration
    out = tmp_path / "rep"
    env = dict(os.environ, EDGEQ_SSH_OPTS=f"-F {_client_config(sshd)}", TMPDIR=str(ctl))
    p = subprocess.Popen([sys.executable, "-m", "edgeq.cli", "profile", str(tiny_model), "-d",
                          _uri(sshd, python=str(wrapper)), "--delegate", "none", "--delegate", "xnnpack",
                          "-o", str(out), *FAST], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not flag.exists() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert flag.exists(), p.communicate()
        # streamed: the finished configuration is on disk while the run goes on
        streamed = None
        while time.monotonic() < deadline:
            try:
                streamed = json.loads((out / "profile.json").read_text())
                if streamed["devices"][0]["configs"]:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        assert streamed and streamed["status"] == "running" and streamed["devices"][0]["configs"]
        assert _masters(ctl)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgeq: error: interrupted (Ctrl-C)"), stderr
    rep = json.loads((out / "profile.json").read_text())
    dev = rep["devices"][0]
    assert rep["status"] == "incomplete" and dev["status"] == "incomplete" and "Ctrl-C" in dev["error"]
    timed = [c for c in dev["configs"] if c.get("steady", {}).get("count", 0) >= 20]
    assert timed and all("Ctrl-C" in c["incomplete"] for c in dev["configs"])
    assert "incomplete" in (out / "report.html").read_text()
    assert not _masters(ctl) and not os.listdir(ctl)  # the ControlMaster was closed, not left for its persist time
    shutil.rmtree(ctl)


def test_link_cut_mid_run_keeps_the_finished_configuration(sshd, tiny_model, tmp_path):
    """The TCP connection itself is cut (reset, and reconnecting refused) while the agent, alive on the
    device, holds its second configuration: the first is kept, the rest marked with the lost link."""
    import tempfile
    relay = CuttableLink(sshd["port"])
    host_pub = (sshd["dir"] / "host_key.pub").read_text().split()
    known = sshd["dir"] / f"known_hosts_relay{relay.port}"
    known.write_text(f"[127.0.0.1]:{relay.port} {host_pub[0]} {host_pub[1]}\n")
    ctl = Path(tempfile.mkdtemp(prefix="eqt", dir="/tmp"))
    wrapper, flag = tap_python(tmp_path, "flag")  # holds the agent up to 60 s after its first configuration
    out = tmp_path / "rep"
    env = dict(os.environ, EDGEQ_SSH_OPTS=f"-F {_client_config(sshd, known=known.name)}", TMPDIR=str(ctl))
    p = subprocess.Popen([sys.executable, "-m", "edgeq.cli", "profile", str(tiny_model), "-d",
                          _uri(sshd, python=str(wrapper), port=relay.port), "--delegate", "none", "--delegate",
                          "xnnpack", "-o", str(out), *FAST], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        # cut only once the finished configuration reached the host (streamed into the report)
        deadline = time.monotonic() + 120
        streamed = None
        while time.monotonic() < deadline and p.poll() is None:
            try:
                streamed = json.loads((out / "profile.json").read_text())
                if flag.exists() and streamed["devices"][0]["configs"]:
                    break
            except (OSError, ValueError, KeyError, IndexError):
                pass
            time.sleep(0.1)
        assert flag.exists() and streamed and streamed["devices"][0]["configs"], p.communicate()
        assert p.poll() is None and _masters(ctl), "the run should still be going, over a shared connection"
        relay.cut()
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
        kill_tree_of(str(wrapper))  # the agent was left running on the 'device' (this machine)
    assert p.returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgeq: error:"), stderr
    assert "the link to the device was lost before finishing" in lines[0], lines[0]
    assert "no message" not in lines[0] and "killed there" not in lines[0], lines[0]
    # the cause is the link's (reconnecting is refused), never a line of the agent's own stderr
    assert "reconnecting: connection refused" in lines[0] and "TensorFlow" not in lines[0], lines[0]
    rep = json.loads((out / "profile.json").read_text())
    dev = rep["devices"][0]
    assert rep["status"] == "incomplete" and dev["status"] == "incomplete"
    assert "link to the device was lost" in dev["error"]
    assert {c["label"] for c in dev["configs"]} == {"none/t1", "xnnpack/t1"}
    timed = [c for c in dev["configs"] if c.get("steady", {}).get("count", 0) >= 20]
    assert [c["label"] for c in timed] == ["none/t1"]
    assert all("link to the device was lost" in c["incomplete"] for c in dev["configs"])
    assert "incomplete" in (out / "report.html").read_text()
    assert not _masters(ctl) and not os.listdir(ctl)  # no master left behind
    shutil.rmtree(ctl)
    shutil.rmtree(dev["workdir"], ignore_errors=True)  # the device could not be told to clean up
