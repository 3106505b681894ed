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
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    monkeypatch.setenv("HOME", str(home))
    subprocess.run(["adb", "start-server"], check=True, capture_output=True, timeout=30)
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
