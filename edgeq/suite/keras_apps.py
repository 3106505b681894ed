"""``tf.keras.applications`` architectures with seeded random weights (``weights=None``).

No trained weights are downloaded: the point is the architectures users bring (hard-swish,
squeeze-excite, swish, LayerNorm-in-conv, wide residual stacks), built the same everywhere.
Each entry also says what input range the network expects, so its data can match it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class KerasApp:
    """One ``keras.applications`` constructor and the input range it expects."""

    attr: str  # name in keras.applications
    input_range: tuple[float, float]  # what the network's first layer expects
    min_size: int = 32
    extra: tuple[tuple[str, Any], ...] = ()


APPS: dict[str, KerasApp] = {
    # MobileNetV2 has no preprocessing inside: it expects -1..1
    "mobilenet_v2": KerasApp("MobileNetV2", (-1.0, 1.0)),
    # the V3 nets, EfficientNets and ConvNeXt rescale 0..255 pixels themselves
    "mobilenet_v3_small": KerasApp("MobileNetV3Small", (0.0, 255.0)),
    "mobilenet_v3_large": KerasApp("MobileNetV3Large", (0.0, 255.0)),
    "efficientnet_b0": KerasApp("EfficientNetB0", (0.0, 255.0)),
    "efficientnet_v2_b0": KerasApp("EfficientNetV2B0", (0.0, 255.0)),
    "convnext_tiny": KerasApp("ConvNeXtTiny", (0.0, 255.0)),
    # ResNet50 expects caffe preprocessing: BGR with the ImageNet means subtracted
    "resnet50": KerasApp("ResNet50", (-123.68, 151.061)),
}


def build_app(name: str, size: int, seed: int = 0) -> Any:
    """The Keras model ``name`` for ``size`` x ``size`` RGB input, random weights from ``seed``."""
    import keras

    app = APPS[name]
    if size < app.min_size:
        raise ValueError(f"{name} needs an input of at least {app.min_size}x{app.min_size}, got {size}")
    keras.utils.set_random_seed(seed)
    ctor: Callable[..., Any] = getattr(keras.applications, app.attr)
    kwargs = dict(app.extra)
    return ctor(weights=None, input_shape=(size, size, 3), classes=1000, **kwargs)
