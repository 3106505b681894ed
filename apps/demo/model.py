"""The demo model: a small CNN for 8x8 digits, trainable in well under a minute on 2 CPU cores."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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


def train(out_path: Path, epochs: int = 60) -> Path:
    """Train on the train split and save a .keras file; returns its path."""
    import keras
    import numpy as np

    from digits import SEED, load_splits

    keras.utils.set_random_seed(SEED)
    x, y = load_splits()["train"]
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(out_path)
    return out_path
