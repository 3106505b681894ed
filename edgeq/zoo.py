"""Reference architectures for trying edgeq, and for its tests and benchmarks.

Each builder returns an untrained (or briefly trained, via :func:`train_briefly`)
Keras model with the structures that make edge quantization hard:

* ``mobilenet_style``: depthwise convolutions, hard-swish, squeeze-excite (MEAN, MUL, LOGISTIC)
* ``mobilenet_v2``: inverted residual blocks at any width/resolution (224x224 for benchmarks)
* ``residual``: ADD skip connections and channel concatenation
* ``attention``: a transformer block: LayerNorm, multi-head self-attention (BATCH_MATMUL, SOFTMAX), MLP
* ``outlier_mlp``: a few channels of much larger magnitude, as real networks have
* ``mlp``: wide FULLY_CONNECTED layers (the int4 benchmark's 4096-wide MLP)

The synthetic tasks (:func:`synthetic_images`, :func:`synthetic_tokens`) are
reproducible from a seed, so accuracy figures can be recomputed anywhere.
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _keras():
    import keras

    return keras


def _hard_swish(x, name):
    keras = _keras()
    return keras.layers.Activation("hard_swish", name=name)(x)


def _squeeze_excite(x, ch: int, name: str):
    keras = _keras()
    s = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_pool")(x)
    s = keras.layers.Conv2D(max(8, ch // 4), 1, activation="relu", name=f"{name}_reduce")(s)
    s = keras.layers.Conv2D(ch, 1, activation="sigmoid", name=f"{name}_expand")(s)
    return keras.layers.Multiply(name=f"{name}_scale")([x, s])


def _classifier(keras, inp, x, classes: int, name: str, pool: str = "head_pool"):
    """The head every image and token net here ends with: global average pooling, logits, softmax."""
    pooling = keras.layers.GlobalAveragePooling2D if len(x.shape) == 4 else keras.layers.GlobalAveragePooling1D
    x = pooling(name=pool)(x)
    x = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x), name=name)


def mobilenet_style(input_shape=(32, 32, 3), classes: int = 10, name: str = "mobilenet_style"):
    """MobileNet-V3-like: depthwise separable blocks, hard-swish, squeeze-excite."""
    keras = _keras()
    inp = keras.Input(input_shape, name="image")
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="stem")(inp)
    x = _hard_swish(x, "stem_hswish")
    for i, (ch, stride, se) in enumerate([(24, 1, False), (32, 2, True), (48, 1, True)]):
        x = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"block{i}_dw")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_dw_bn")(x)
        x = _hard_swish(x, f"block{i}_dw_hswish")
        if se:
            x = _squeeze_excite(x, x.shape[-1], f"block{i}_se")
        x = keras.layers.Conv2D(ch, 1, name=f"block{i}_project")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_project_bn")(x)
        x = keras.layers.ReLU(6.0, name=f"block{i}_relu6")(x)
    return _classifier(keras, inp, x, classes, name)


def mobilenet_v2(input_shape=(224, 224, 3), classes: int = 1000, alpha: float = 1.0, name: str = "mobilenet_v2"):
    """MobileNet-V2 (inverted residuals, linear bottlenecks, ReLU6), built here layer by layer."""
    keras = _keras()

    def ch(c):
        return max(8, int(c * alpha + 4) // 8 * 8)

    inp = keras.Input(input_shape, name="image")
    x = keras.layers.Conv2D(ch(32), 3, strides=2, padding="same", use_bias=False, name="stem")(inp)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.ReLU(6.0, name="stem_relu6")(x)
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    b = 0
    for t, c, n, s in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            inp_ch = x.shape[-1]
            y = x
            if t != 1:
                y = keras.layers.Conv2D(inp_ch * t, 1, use_bias=False, name=f"b{b}_expand")(y)
                y = keras.layers.BatchNormalization(name=f"b{b}_expand_bn")(y)
                y = keras.layers.ReLU(6.0, name=f"b{b}_expand_relu6")(y)
            y = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"b{b}_dw")(y)
            y = keras.layers.BatchNormalization(name=f"b{b}_dw_bn")(y)
            y = keras.layers.ReLU(6.0, name=f"b{b}_dw_relu6")(y)
            y = keras.layers.Conv2D(ch(c), 1, use_bias=False, name=f"b{b}_project")(y)
            y = keras.layers.BatchNormalization(name=f"b{b}_project_bn")(y)
            x = keras.layers.Add(name=f"b{b}_add")([x, y]) if stride == 1 and inp_ch == ch(c) else y
            b += 1
    x = keras.layers.Conv2D(max(1280, ch(1280)), 1, use_bias=False, name="head_conv")(x)
    x = keras.layers.BatchNormalization(name="head_bn")(x)
    x = keras.layers.ReLU(6.0, name="head_relu6")(x)
    return _classifier(keras, inp, x, classes, name)


def residual(input_shape=(32, 32, 3), classes: int = 10, name: str = "residual"):
    """A small ResNet with ADD skips and a concatenation of two branches."""
    keras = _keras()
    inp = keras.Input(input_shape, name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(inp)
    for i, ch in enumerate([16, 32]):
        stride = 1 if i == 0 else 2
        y = keras.layers.Conv2D(ch, 3, strides=stride, padding="same", activation="relu", name=f"res{i}_conv1")(x)
        y = keras.layers.Conv2D(ch, 3, padding="same", name=f"res{i}_conv2")(y)
        if stride != 1 or x.shape[-1] != ch:
            x = keras.layers.Conv2D(ch, 1, strides=stride, name=f"res{i}_shortcut")(x)
        x = keras.layers.Add(name=f"res{i}_add")([x, y])
        x = keras.layers.ReLU(name=f"res{i}_relu")(x)
    a = keras.layers.Conv2D(16, 1, activation="relu", name="branch_a")(x)
    b = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="branch_b")(x)
    x = keras.layers.Concatenate(name="concat")([a, b])
    x = keras.layers.AveragePooling2D(2, name="avgpool")(x)
    return _classifier(keras, inp, x, classes, name)


def attention(seq_len: int = 16, dim: int = 32, heads: int = 4, classes: int = 10, name: str = "attention"):
    """One transformer encoder block on a token sequence, then a classifier."""
    keras = _keras()
    inp = keras.Input((seq_len, dim), name="tokens")
    x = keras.layers.LayerNormalization(name="ln1")(inp)
    x = keras.layers.MultiHeadAttention(heads, dim // heads, name="mha")(x, x)
    x = keras.layers.Add(name="attn_residual")([inp, x])
    y = keras.layers.LayerNormalization(name="ln2")(x)
    y = keras.layers.Dense(dim * 2, activation="relu", name="mlp_up")(y)
    y = keras.layers.Dense(dim, name="mlp_down")(y)
    x = keras.layers.Add(name="mlp_residual")([x, y])
    return _classifier(keras, inp, x, classes, name, pool="pool")


def mlp(inputs: int = 4096, hidden: int = 4096, layers: int = 3, classes: int = 10, name: str = "mlp"):
    """Wide FULLY_CONNECTED stack (weight-bandwidth bound: where int4 pays)."""
    keras = _keras()
    inp = keras.Input((inputs,), name="features")
    x = inp
    for i in range(layers):
        x = keras.layers.Dense(hidden, activation="relu", name=f"fc{i}")(x)
    out = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inp, out, name=name)


def outlier_mlp(features: int = 32, classes: int = 10, outlier_channels: int = 2, gain: float = 40.0,
                name: str = "outlier_mlp"):
    """Hidden activations where a few channels are ``gain`` times larger than the rest."""
    keras = _keras()
    inp = keras.Input((features,), name="features")
    h = keras.layers.Dense(64, activation="relu", name="fc1")(inp)
    mask = np.ones((64,), np.float32)
    mask[:outlier_channels] = gain
    h = keras.layers.Rescaling(mask, name="outlier_gain")(h)
    h = keras.layers.Dense(64, activation="relu", name="fc2")(h)
    out = keras.layers.Dense(classes, activation="softmax", name="probs")(h)
    return keras.Model(inp, out, name=name)


def synthetic_images(n: int, shape=(32, 32, 3), classes: int = 10, seed: int = 0):
    """Images whose class sets where a bright patch sits and its color, plus clutter and noise."""
    rng = np.random.default_rng(seed)
    h, w, c = shape
    labels = rng.integers(0, classes, n)
    x = 0.25 + 0.1 * rng.standard_normal((n, h, w, c)).astype(np.float32)
    ph, pw = max(2, h // 4), max(2, w // 4)
    colors = 0.3 + 0.7 * np.random.default_rng(12345).random((classes, c)).astype(np.float32)
    for k in range(n):
        lb = labels[k]
        gy, gx = divmod(lb % 9, 3)  # class → one of 9 cells (+ color for the 10th)
        y0 = min(h - ph, gy * (h // 3) + int(rng.integers(0, 3)))
        x0 = min(w - pw, gx * (w // 3) + int(rng.integers(0, 3)))
        x[k, y0:y0 + ph, x0:x0 + pw, :] = colors[lb]
        cy, cx = rng.integers(0, h - ph // 2), rng.integers(0, w - pw // 2)  # a dim distractor
        x[k, cy:cy + ph // 2, cx:cx + pw // 2, :] += 0.2
    return np.clip(x, 0, 1).astype(np.float32), labels.astype(np.int64)


def synthetic_tokens(n: int, seq_len: int = 16, dim: int = 32, classes: int = 10, seed: int = 0):
    """Token sequences whose class is given by which prototype vectors appear in them."""
    rng = np.random.default_rng(seed)
    protos = rng.standard_normal((classes, dim)).astype(np.float32)
    labels = rng.integers(0, classes, n)
    x = 0.5 * rng.standard_normal((n, seq_len, dim)).astype(np.float32)
    for k in range(n):
        pos = rng.choice(seq_len, size=seq_len // 4, replace=False)
        x[k, pos] += protos[labels[k]]
    return x, labels.astype(np.int64)


def synthetic_features(n: int, features: int = 32, classes: int = 10, seed: int = 0):
    """Gaussian clusters in feature space."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)).astype(np.float32) * 1.5
    labels = rng.integers(0, classes, n)
    x = centers[labels] + rng.standard_normal((n, features)).astype(np.float32)
    return x.astype(np.float32), labels.astype(np.int64)


def train_briefly(model, x: np.ndarray, y: np.ndarray, epochs: int = 3, seed: int = 0, batch_size: int = 16):
    """A few epochs of Adam: enough for realistic weight and activation statistics."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model
