"""A model suite that stands for what users bring, for edgeq's tests and benchmarks.

Real architectures (``tf.keras.applications`` nets, a MiniLM sentence encoder with its trained
weights, the int8/int4 4096-wide MLP) and real third-party files (the 14 ``.tflite`` models of the
``mediapipe==0.10.14`` wheel), built reproducibly without model hubs, at any input size, as
float, int8 / int4 via ``edgeq.convert``, or int8 via TensorFlow's own converter::

    from edgeq import suite
    m = suite.get("mobilenet_v2", size=96, variant="int8")   # cached under ~/.cache/edgeq/suite
    m.path, m.bytes, m.meta["weights"], m.inputs(4)
    suite.names(family="keras.applications")

``python -m edgeq.suite --help`` lists, builds and prints paths from the shell.
"""
from __future__ import annotations

from .build import SuiteBuildError, SuiteModel, cache_key, get
from .fetch import FetchError, cache_root
from .registry import KERAS_VARIANTS, SPECS, TFLITE_VARIANTS, ModelSpec, spec

#: the order benchmarks and reports use: the issue's minimum set first
CORE = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "efficientnet_v2_b0",
        "resnet50", "convnext_tiny", "minilm_l6", "mlp")


def names(family: str | None = None) -> list[str]:
    """Suite model names, optionally of one family (``keras.applications``, ``transformer``,
    ``mlp``, ``mediapipe``)."""
    return [n for n, s in SPECS.items() if family is None or s.family == family]


__all__ = ["get", "names", "spec", "SuiteModel", "ModelSpec", "SuiteBuildError", "FetchError", "cache_root",
           "cache_key", "SPECS", "CORE", "KERAS_VARIANTS", "TFLITE_VARIANTS"]
