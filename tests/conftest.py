"""Shared fixtures: small real models and data, built once per test session."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``edgeq ARGS...`` in-process through the real entry point; returns exit code and output."""
    from edgeq.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        cap = capsys.readouterr()
        return CliResult(code, cap.out, cap.err)

    return run


@dataclass
class DemoAssets:
    keras_path: Path
    calib: Path
    test: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoAssets:
    """The README demo: the digits CNN trained on sklearn's digits, with calib/test .npz files."""
    sys.path.insert(0, str(REPO / "apps" / "demo"))
    import digits
    import model as demo_model

    d = tmp_path_factory.mktemp("demo")
    keras_path = demo_model.train(d / "digits.keras")
    paths = digits.write_npz(d)
    return DemoAssets(keras_path, paths["calib"], paths["test"])


@dataclass
class TinyAssets:
    keras: Path
    h5: Path
    savedmodel: Path
    float_tflite: Path
    calib: Path
    shape: tuple[int, ...]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> TinyAssets:
    """A small untrained CNN in every source format edgeq reads, plus calibration data."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    d = tmp_path_factory.mktemp("tiny")
    inp = keras.Input((12, 12, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(5, activation="softmax", name="head")(x)
    m = keras.Model(inp, out, name="tiny")
    m.save(d / "tiny.keras")
    m.save(d / "tiny.h5")
    m.export(str(d / "saved"), format="tf_saved_model", verbose=False)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(d / "saved"))
    (d / "tiny_float.tflite").write_bytes(conv.convert())
    rng = np.random.default_rng(0)
    np.save(d / "calib.npy", rng.random((40, 12, 12, 3), dtype=np.float32))
    return TinyAssets(d / "tiny.keras", d / "tiny.h5", d / "saved", d / "tiny_float.tflite", d / "calib.npy",
                      (12, 12, 3))
