"""Fixtures of the profiling tests."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from profiling_helpers import build_int8_model, build_mixed_model, free_port


@pytest.fixture
def adb_server(tmp_path, monkeypatch):
    """A private adb server (own port, own HOME so its RSA key is the test's); killed afterwards.
    ``pub``/``key``: the adbkey.pub / adbkey it made."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # adb gives up on a server that is not up within a few seconds (exit 255 'failed to start daemon'), which a
    # loaded machine can cause, and the free port can be taken between free_port() and the server's bind: a new
    # port per try, at most three
    for attempt in range(3):
        port = free_port()
        monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
        r = subprocess.run(["adb", "start-server"], capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            break
        subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=30)
    else:
        pytest.fail(f"adb start-server failed 3 times: {r.stderr.strip()[-500:]}")
    yield {"port": port, "home": home, "pub": home / ".android" / "adbkey.pub", "key": home / ".android" / "adbkey"}
    # by explicit port: a test may have removed the variable
    subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=30)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny conv net as a full-integer .tflite with int8 I/O."""
    return build_int8_model(tmp_path_factory.mktemp("model") / "tiny_int8.tflite")


@pytest.fixture(scope="session")
def mixed_model(tmp_path_factory) -> Path:
    """Conv, depthwise, tanh, mean, dense (static shapes): edgeq's delegates decline only the TANH."""
    return build_mixed_model(tmp_path_factory.mktemp("model") / "mixed_int8.tflite")
