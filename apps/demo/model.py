"""The demo model: a small CNN for 8x8 digits, trainable in well under a minute on 2 CPU cores."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN picks kernels by CPU, so sums differ between machines


def build():
    import keras

    inp = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inp)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(10, name="logits")(x)
    out = keras.layers.Softmax(name="probs")(x)
    return keras.Model(inp, out, name="digits_cnn")


def build_separable(width: int = 8, blocks: int = 3):
    """A MobileNet-style variant (batch norms, depthwise-separable blocks) that post-training int4 hurts:
    a depthwise channel has only 9 weights, so int4's 15 levels cost points no rounding can recover.
    The QAT test and benchmark use it."""
    import keras

    L = keras.layers
    inp = keras.Input((8, 8, 1), name="image")
    x = L.Conv2D(width, 3, padding="same", use_bias=False, name="conv1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(6.0, name="relu1")(x)
    for i in range(2, 2 + blocks):
        x = L.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"dw{i}")(x)
        x = L.BatchNormalization(name=f"bn{i}a")(x)
        x = L.ReLU(6.0, name=f"relu{i}a")(x)
        width *= 2
        x = L.Conv2D(width, 1, use_bias=False, name=f"pw{i}")(x)
        x = L.BatchNormalization(name=f"bn{i}b")(x)
        x = L.ReLU(6.0, name=f"relu{i}b")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dense(10, name="logits")(x)
    return keras.Model(inp, L.Softmax(name="probs")(x), name="digits_separable")


def _deterministic() -> None:
    """Same weights on every machine: one thread (the order of float sums depends on how work is split
    across cores) and TensorFlow's deterministic op implementations."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        # TensorFlow was already running in this process (the tests train the demo after other
        # work); its thread pools are fixed by then.
        pass


def train(out_path: Path, epochs: int = 60, builder=build, seed: int | None = None) -> Path:
    """Train ``builder()`` on the train split and save a .keras file; returns its path."""
    import keras
    import numpy as np

    from digits import SEED, load_splits

    _deterministic()
    keras.utils.set_random_seed(SEED if seed is None else seed)
    x, y = load_splits()["train"]
    model = builder()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(out_path)
    return out_path
