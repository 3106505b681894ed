"""Fixtures of the profiling tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from profiling_helpers import build_int8_model, build_mixed_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny conv net as a full-integer .tflite with int8 I/O."""
    return build_int8_model(tmp_path_factory.mktemp("model") / "tiny_int8.tflite")


@pytest.fixture(scope="session")
def mixed_model(tmp_path_factory) -> Path:
    """Conv, depthwise, tanh, mean, dense (static shapes): edgeq's delegates decline only the TANH."""
    return build_mixed_model(tmp_path_factory.mktemp("model") / "mixed_int8.tflite")
