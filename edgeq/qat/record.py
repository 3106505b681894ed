"""The QAT record: what a fine-tuned Keras model was trained against, stored inside its ``.keras`` file.

``edgeq finetune`` writes the record as ``edgeq_qat.json`` in the ``.keras`` zip (Keras ignores
entries it does not know); ``edgeq convert`` reads it and converts with exactly those activation
ranges (``ranges``: layer key → (min, max), see :func:`layer_tensors`), the weight precision the
model was trained for and the calibration method its ranges came from.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import ModelError
from ..layer_names import op_layer_names
from ..tflite_schema import op_name, read_model

ENTRY = "edgeq_qat.json"
VERSION = 1
#: ops whose weights QAT fake-quantizes (per output channel)
WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class QatRecord:
    """What the fake-quantized model computed with; ``edgeq convert`` reproduces it."""

    weights: str  # "int8" or "int4" (int4_layers int4, every other weight layer int8)
    int4_layers: tuple[str, ...]
    calibration: str  # the range method the post-training ranges came from
    ranges: dict[str, tuple[float, float]]  # layer key → (min, max): scale (max-min)/255, zero point -128-min/scale
    epochs: int = 0
    metrics: dict = field(default_factory=dict)  # accuracies measured by finetune, for the report
    version: int = VERSION

    def to_json(self) -> str:
        d = asdict(self)
        d["int4_layers"] = list(self.int4_layers)
        d["ranges"] = {k: [lo, hi] for k, (lo, hi) in self.ranges.items()}
        return json.dumps(d, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str) -> "QatRecord":
        try:
            d = json.loads(text)
            if d.get("version") != VERSION:
                raise ValueError(f"version {d.get('version')} (this edgeq reads {VERSION})")
            return cls(d["weights"], tuple(d["int4_layers"]), d["calibration"],
                       {k: (float(v[0]), float(v[1])) for k, v in d["ranges"].items()}, int(d.get("epochs", 0)),
                       dict(d.get("metrics", {})), VERSION)
        except (ValueError, KeyError, TypeError, IndexError) as e:
            raise ModelError(f"the QAT record in '{where}' cannot be read ({e}): run edgeq finetune again") from None


def write_record(keras_path: str | os.PathLike, record: QatRecord) -> None:
    """Add ``record`` to a saved ``.keras`` archive."""
    with zipfile.ZipFile(keras_path, "a") as z:
        z.writestr(ENTRY, record.to_json())


def read_record(keras_path: str | os.PathLike) -> QatRecord | None:
    """The QAT record of a ``.keras`` file, or None (not fine-tuned by edgeq, or not a zip)."""
    p = Path(keras_path)
    if p.suffix.lower() != ".keras" or not zipfile.is_zipfile(p):
        return None
    with zipfile.ZipFile(p) as z:
        if ENTRY not in z.namelist():
            return None
        return QatRecord.from_json(z.read(ENTRY).decode(), str(p))


def input_key(k: int) -> str:
    return f"input:{k}"


def pre_key(layer: str) -> str:
    """A weight op inside a layer that goes on (Dense with a softmax activation): its own output."""
    return f"{layer}:pre"


def layer_tensors(model: bytes, known_layers: Sequence[str] | None,
                  output_layers: Sequence[str] | None) -> dict[str, int]:
    """Layer key → tensor index of ``model`` (float or quantized: the keys are the same).

    A layer's key names its output, the output of the last op converted from it (after
    TFLite's fusions: a Conv2D followed by a ReLU layer is one op, keyed by the ReLU);
    ``input:K`` names input K; a weight op followed by more ops of its layer gets ``LAYER:pre``.
    """
    m = read_model(model)
    sg = m.subgraphs[0]
    layers = op_layer_names(m, known_layers, output_layers=output_layers)
    keys: dict[str, int] = {input_key(k): int(i) for k, i in enumerate(sg.inputs)}
    for layer, op in zip(layers, sg.operators):
        outs = [int(i) for i in (op.outputs if op.outputs is not None else []) if i >= 0]
        if not layer or not outs:
            continue
        if layer in keys and op_name(m, keys_op(m, sg, keys[layer])) in WEIGHT_OPS:
            keys[pre_key(layer)] = keys[layer]
        keys[layer] = outs[0]
    return keys


def keys_op(m, sg, tensor: int):
    """The op that writes ``tensor``."""
    for op in sg.operators:
        if op.outputs is not None and tensor in [int(i) for i in op.outputs]:
            return op
    raise ModelError(f"tensor {tensor} is written by no op")


def weight_op_inputs(model: bytes, known_layers: Sequence[str] | None,
                     output_layers: Sequence[str] | None) -> dict[str, int]:
    """Layer name → input activation tensor of its weight op (the bias scale is input scale × weight scale)."""
    m = read_model(model)
    sg = m.subgraphs[0]
    out = {}
    for layer, op in zip(op_layer_names(m, known_layers, output_layers=output_layers), sg.operators):
        if layer and op_name(m, op) in WEIGHT_OPS:
            out[layer] = int(op.inputs[0])
    return out
