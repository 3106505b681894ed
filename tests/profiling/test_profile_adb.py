"""edgeq profile over adb: the real adb client and server against edgeq's adbd (edgeq.lab.adbd)."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from edgeq.profiling.cli import profile
from profiling_helpers import FAST, Adbd, free_port, profile_ok, tap_python


@pytest.fixture
def adbd(tmp_path, adb_server):
    d = Adbd(tmp_path / "data_local_tmp", adb_server["pub"])
    yield d
    d.stop()


def _uri(adbd, python=sys.executable, extra=""):
    return f"adb://127.0.0.1:{adbd.port}?python={python}{extra}"


def test_adb_client_shell_push_pull_against_our_adbd(adb_server, adbd, tmp_path):
    serial = f"127.0.0.1:{adbd.port}"
    out = subprocess.run(["adb", "connect", serial], capture_output=True, text=True, timeout=30).stdout
    assert "connected to" in out
    devs = subprocess.run(["adb", "devices"], capture_output=True, text=True, timeout=30).stdout
    assert f"{serial}\tdevice" in devs
    sh = subprocess.run(["adb", "-s", serial, "shell", "echo out; echo err >&2; echo $TMPDIR"],
                        capture_output=True, text=True, timeout=30)
    assert sh.stdout.split() == ["out", "err", str(adbd.tmpdir)]
    src = tmp_path / "blob.bin"
    src.write_bytes(os.urandom(300_000))  # several sync DATA chunks
    dst = adbd.tmpdir / "sub" / "blob.bin"
    subprocess.run(["adb", "-s", serial, "push", str(src), str(dst)], check=True, capture_output=True, timeout=30)
    assert dst.read_bytes() == src.read_bytes()
    back = tmp_path / "back.bin"
    subprocess.run(["adb", "-s", serial, "pull", str(dst), str(back)], check=True, capture_output=True, timeout=30)
    assert back.read_bytes() == src.read_bytes()


def test_profile_over_adb_end_to_end(adb_server, adbd, tiny_model, tmp_path):
    dev = profile_ok(tiny_model, _uri(adbd), tmp_path / "rep", "--delegate", "none", "--delegate", "xnnpack")
    assert sorted(c["label"] for c in dev["configs"]) == ["none/t1", "xnnpack/t1"]
    # the working dir was made under the device's TMPDIR and removed afterwards
    assert dev["workdir"].startswith(str(adbd.tmpdir)) and not os.path.exists(dev["workdir"])


def test_profile_through_a_remote_adb_server_option(adb_server, adbd, tiny_model, tmp_path, monkeypatch):
    monkeypatch.delenv("ANDROID_ADB_SERVER_PORT")  # only ?server= says where the server is
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(adbd, extra=f"&server=127.0.0.1:{adb_server['port']}"),
                                     "--delegate", "none", "--no-memory", "--json", "-o", str(tmp_path / "r"), *FAST])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["devices"][0]["status"] == "ok"


def _pubkey_with_flipped_modulus(pub: str) -> str:
    raw = bytearray(base64.b64decode(pub.split()[0]))
    raw[8] ^= 0x02  # the lowest modulus word: a different (useless) key
    return base64.b64encode(bytes(raw)).decode() + " stranger@test\n"


def test_adbd_auth_accepts_the_known_key_and_refuses_others(adb_server, tmp_path, tiny_model):
    pub = (adb_server["home"] / ".android" / "adbkey.pub").read_text()
    good, bad = tmp_path / "good_keys", tmp_path / "bad_keys"
    good.write_text(pub)
    bad.write_text(_pubkey_with_flipped_modulus(pub))
    d = Adbd(tmp_path / "ok_tmp", good)
    try:
        sh = subprocess.run(["adb", "connect", f"127.0.0.1:{d.port}"], capture_output=True, text=True, timeout=30)
        assert "connected to" in sh.stdout
        r = subprocess.run(["adb", "-s", f"127.0.0.1:{d.port}", "wait-for-device", "shell", "echo authed"],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout.strip() == "authed"
    finally:
        d.stop()
    d = Adbd(tmp_path / "no_tmp", bad)
    try:
        out = tmp_path / "rep"
        r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(d), "-o", str(out), *FAST])
        assert r.exit_code == 2
        err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
        assert len(err) == 1 and "authorization refused" in err[0], r.output
    finally:
        d.stop()


def test_adb_unreachable_is_one_line_error(adb_server, tiny_model, tmp_path):
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", f"adb://127.0.0.1:{free_port()}", "-o",
                                     str(tmp_path / "rep"), *FAST])
    assert r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and "adb connect failed" in err[0], r.output


def test_device_disconnecting_mid_run_keeps_partial_results(adb_server, adbd, tiny_model, tmp_path):
    wrapper, flag = tap_python(tmp_path, "flag")

    def pull_the_plug():
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # let the finished configuration reach the host
        adbd.stop()
    th = threading.Thread(target=pull_the_plug, daemon=True)
    th.start()
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(adbd, python=str(wrapper)), "--delegate", "none",
                                     "--delegate", "xnnpack", "-o", str(out), *FAST, "--energy-window", "3"])
    th.join(timeout=70)
    assert flag.exists()
    assert r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and "the link to the device was lost before finishing" in err[0], r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "incomplete"
    done = [c for c in dev["configs"] if "steady" in c]
    assert done and all(c["steady"]["count"] >= 20 for c in done)
    assert {c["label"] for c in dev["configs"]} == {"none/t1", "xnnpack/t1"}
    assert all("link to the device was lost" in c["incomplete"] for c in dev["configs"])


def test_agent_killed_on_the_device_is_named_as_such(adb_server, adbd, tiny_model, tmp_path):
    wrapper, flag = tap_python(tmp_path, "selfkill")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", _uri(adbd, python=str(wrapper)), "--delegate", "none",
                                     "--delegate", "xnnpack", "-o", str(out), *FAST])
    assert flag.exists() and r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and "killed by SIGKILL on the device before finishing" in err[0], r.output
    assert "EDGEQ_RC" not in r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "incomplete"
    assert any(c.get("steady", {}).get("count", 0) >= 20 for c in dev["configs"])
    assert all("SIGKILL" in c["incomplete"] for c in dev["configs"])
