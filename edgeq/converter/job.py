"""What one conversion works on (:class:`ConvertJob`) and what each stage hands the next (:class:`Candidate`).

:func:`open_job` reads the model source and the data (calibration, and evaluation
when given) in the float model's input order; every later stage takes the job and
a candidate and returns a candidate.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..analysis.evaluate import compare
from ..analysis.model_info import summarize
from ..datasets import Samples, load_samples
from ..errors import DataError
from ..model_source import FloatModel, from_keras_model, load_model
from ..options import ConvertOptions
from ..quantize.stage import QuantizeResult


@dataclass(frozen=True)
class ConvertJob:
    """The float model, the data and the (resolved) options of one conversion."""

    src: FloatModel
    calib: Samples  # empty with --activations float and no data
    ev: Samples | None  # evaluation data, when given
    options: ConvertOptions
    show_progress: bool = False
    train: str | os.PathLike | Samples | None = None  # labelled training data: the ladder's QAT rung fine-tunes on it

    def summarize(self, model: bytes, io: str) -> dict:
        """What ``model`` holds, in the user's layer names."""
        return summarize(model, self.src.layer_names, io=io, output_layers=self.src.output_layers)

    def evaluate(self, model: bytes, output_names: Sequence[str]) -> dict | None:
        """``model`` against the float model on the evaluation data (None without it)."""
        if self.ev is None:
            return None
        return compare(self.src.tflite, model, self.ev, show_progress=self.show_progress,
                       output_names=list(output_names))


@dataclass(frozen=True)
class Candidate:
    """An integer model on its way through the stages, with what is known about it."""

    model: bytes
    quant: QuantizeResult  # how its activations and weights were quantized
    info: dict  # what the model holds (edgeq.analysis.model_info.summarize)
    evaluation: dict | None  # against the float model, with evaluation data
    budget: dict | None = None  # the budget ladder's report, when it ran
    int4: dict | None = None  # the int4 stage's report, when it ran
    smoothing: dict | None = None  # SmoothQuant factors the float model took (the islands rung), for the manifest

    def with_model(self, job: ConvertJob, model: bytes, **changes: Any) -> "Candidate":
        """This candidate with ``model`` in place of its model, summarized and evaluated again."""
        info = job.summarize(model, self.quant.io)
        evaluation = job.evaluate(model, [o["name"] for o in info["outputs"]]) if job.ev is not None \
            else self.evaluation
        return replace(self, model=model, info=info, evaluation=evaluation, **changes)


def open_job(model: Any, data: str | os.PathLike | Samples | None, eval_data: str | os.PathLike | Samples | None,
             labels: str | os.PathLike | None, options: ConvertOptions, show_progress: bool,
             example_inputs: Any = None, train_data: str | os.PathLike | Samples | None = None) -> ConvertJob:
    """Read the model source and the data; image options the model itself suggests fill in unset ones."""
    src = _source(model, example_inputs)
    image = options.image
    for key in ("normalize", "layout"):  # what the model says about its images fills unset options
        if getattr(image, key) is None and src.image_hint.get(key):
            image = replace(image, **{key: src.image_hint[key]})
    options = options.replace(image=image)
    if data is None:  # dynamic range needs no calibration
        calib = Samples([], None, "none", {"format": "none"})
    else:
        calib = _in_model_order(data, src) if isinstance(data, Samples) else load_samples(
            data, src.inputs, image=image, max_samples=options.max_samples, role="calibration")
    ev = None
    if eval_data is not None:
        ev = _in_model_order(eval_data, src) if isinstance(eval_data, Samples) else load_samples(
            eval_data, src.inputs, image=image, max_samples=None, role="eval")
        if labels is not None:
            ev.labels = _load_labels(labels, len(ev))
    return ConvertJob(src, calib, ev, options, show_progress, train_data)


def _source(model: Any, example_inputs: Any = None) -> FloatModel:
    if isinstance(model, FloatModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load_model(model)
    if hasattr(model, "layers") and hasattr(model, "export"):  # an in-memory Keras model
        return from_keras_model(model)
    if hasattr(model, "named_modules") and hasattr(model, "state_dict"):  # a torch.nn.Module
        from ..frontends.torch_source import from_module

        return from_module(model, example_inputs)
    raise DataError(f"cannot convert a {type(model).__name__}: give a path, a Keras model or a torch.nn.Module "
                    "(with example_inputs)")


def _in_model_order(s: Samples, src: FloatModel) -> Samples:
    """In-memory samples for a Keras model come in the Keras model's input order; the TFLite
    model may order its inputs differently, so match them by name."""
    names = [i.name for i in src.inputs]
    if not src.keras_inputs or len(names) < 2 or names == src.keras_inputs or sorted(names) != sorted(src.keras_inputs):
        return s
    by_name = dict(zip(src.keras_inputs, s.inputs))
    return Samples([by_name[n] for n in names], s.labels, s.source, dict(s.notes))


def _load_labels(path: str | os.PathLike, n: int) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"labels file '{path}' does not exist: give a .npy or .txt with one integer per sample")
    try:
        lab = np.load(p) if p.suffix == ".npy" else np.loadtxt(p, dtype=np.int64, ndmin=1)
    except ValueError as e:
        raise DataError(f"labels file '{path}' cannot be read ({e}): one integer label per line") from None
    lab = np.asarray(lab).reshape(-1)
    if lab.shape[0] != n:
        raise DataError(f"labels file '{path}' has {lab.shape[0]} labels for {n} eval samples: give one per sample")
    return lab.astype(np.int64)
