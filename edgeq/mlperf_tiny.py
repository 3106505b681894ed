"""The four MLPerf Tiny v1.x reference architectures, built here in Keras for MCU tests and benchmarks.

* ``ds_cnn_kws``: keyword spotting, DS-CNN on 49x10 MFCC features, 12 classes
* ``mobilenet_v1_vww``: visual wake words, MobileNetV1 (width 0.25) on 96x96 RGB, 2 classes
* ``resnet8_cifar``: image classification, ResNet-8 on 32x32 RGB, 10 classes
* ``fc_autoencoder``: anomaly detection, the fully-connected autoencoder on 640 log-mel values

Layer shapes follow the MLPerf Tiny reference models. No speech, image or machine-sound data
ships with edgeq, so the weights are random (Keras initializers, batch-norm statistics drawn at
random so folding them is not a no-op) and the models are calibrated on random inputs: they
have the real models' shapes, op mix and MAC counts, not their accuracy.
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: name -> (builder, input shape without batch)
MODELS = {}


def _keras():
    import keras
    return keras


def _bn_relu(x, name: str, relu: bool = True):
    keras = _keras()
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def ds_cnn_kws(classes: int = 12):
    """DS-CNN (MLPerf Tiny keyword spotting): a 10x4 stride-2 conv, four depthwise-separable blocks."""
    keras = _keras()
    inp = keras.Input((49, 10, 1), name="mfcc")
    x = keras.layers.Conv2D(64, (10, 4), strides=2, padding="same", name="conv0")(inp)
    x = _bn_relu(x, "conv0")
    for i in range(4):
        x = keras.layers.DepthwiseConv2D(3, padding="same", name=f"dw{i + 1}")(x)
        x = _bn_relu(x, f"dw{i + 1}")
        x = keras.layers.Conv2D(64, 1, name=f"pw{i + 1}")(x)
        x = _bn_relu(x, f"pw{i + 1}")
    x = keras.layers.AveragePooling2D(pool_size=(25, 5), name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x), name="ds_cnn_kws")


def mobilenet_v1_vww(input_size: int = 96, alpha: float = 0.25, classes: int = 2):
    """MobileNetV1 at width 0.25 (MLPerf Tiny visual wake words)."""
    keras = _keras()
    inp = keras.Input((input_size, input_size, 3), name="image")
    x = keras.layers.Conv2D(int(32 * alpha), 3, strides=2, padding="same", name="conv0")(inp)
    x = _bn_relu(x, "conv0")
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
            (512, 1), (1024, 2), (1024, 1)]
    for i, (filters, stride) in enumerate(plan, 1):
        x = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"dw{i}")(x)
        x = _bn_relu(x, f"dw{i}")
        x = keras.layers.Conv2D(int(filters * alpha), 1, name=f"pw{i}")(x)
        x = _bn_relu(x, f"pw{i}")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x), name="mobilenet_v1_vww")


def resnet8_cifar(classes: int = 10):
    """ResNet-8 (MLPerf Tiny image classification): three residual stacks of 16, 32, 64 filters."""
    keras = _keras()
    inp = keras.Input((32, 32, 3), name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", name="conv0")(inp)
    x = _bn_relu(x, "conv0")
    for i, (filters, stride) in enumerate([(16, 1), (32, 2), (64, 2)], 1):
        y = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", name=f"s{i}_conv1")(x)
        y = _bn_relu(y, f"s{i}_conv1")
        y = keras.layers.Conv2D(filters, 3, padding="same", name=f"s{i}_conv2")(y)
        y = _bn_relu(y, f"s{i}_conv2", relu=False)
        if stride != 1:
            x = keras.layers.Conv2D(filters, 1, strides=stride, name=f"s{i}_proj")(x)
        x = keras.layers.ReLU(name=f"s{i}_relu")(keras.layers.Add(name=f"s{i}_add")([x, y]))
    x = keras.layers.AveragePooling2D(pool_size=8, name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(classes, name="logits")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x), name="resnet8_cifar")


def fc_autoencoder(inputs: int = 640):
    """The fully-connected autoencoder (MLPerf Tiny anomaly detection): 128-wide layers, an 8-wide code."""
    keras = _keras()
    inp = keras.Input((inputs,), name="logmel")
    x = inp
    for i, width in enumerate([128, 128, 128, 128, 8, 128, 128, 128, 128], 1):
        x = keras.layers.Dense(width, name=f"fc{i}")(x)
        x = _bn_relu(x, f"fc{i}")
    return keras.Model(inp, keras.layers.Dense(inputs, name="out")(x), name="fc_autoencoder")


MODELS.update({"kws": (ds_cnn_kws, (49, 10, 1)), "vww": (mobilenet_v1_vww, (96, 96, 3)),
               "resnet8": (resnet8_cifar, (32, 32, 3)), "autoencoder": (fc_autoencoder, (640,))})


def randomize_batchnorm(model, seed: int = 0) -> None:
    """Gives every BatchNormalization layer random statistics and affine terms (what training would)."""
    keras = _keras()
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype(np.float32), rng.normal(0, 0.1, n).astype(np.float32),
                               rng.normal(0, 0.1, n).astype(np.float32), rng.uniform(0.5, 2.0, n).astype(np.float32)])


def build(name: str, seed: int = 0):
    """The Keras model ``name`` (see ``MODELS``) with seeded random weights."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    builder, _ = MODELS[name]
    model = builder()
    randomize_batchnorm(model, seed)
    return model


def calibration_inputs(name: str, n: int = 32, seed: int = 0) -> np.ndarray:
    _, shape = MODELS[name]
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def int8_model(name: str, seed: int = 0, samples: int = 32) -> bytes:
    """Fully-integer (int8) .tflite of ``name`` through edgeq's converter, calibrated on random inputs."""
    import tempfile
    from pathlib import Path

    from .converter import convert
    model = build(name, seed)
    with tempfile.TemporaryDirectory(prefix="edgeq-mlperf-tiny-") as tmp:
        calib = Path(tmp) / "calib.npy"
        np.save(calib, calibration_inputs(name, samples, seed))
        return bytes(convert(model, str(calib), max_samples=samples).model)
