"""``edgeq.convert`` (this module is edgeq.converter): a trained model plus representative data → a fully-integer TFLite model.

The data flows one way: model source → float TFLite → calibration → integer
TFLite → checks (read back from the flatbuffer) → evaluation against float →
report. Nothing is written to disk here; the CLI writes the result atomically.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import __version__
from . import manifest
from ..datasets import ImageOptions, Samples, load_samples
from ..errors import DataError, NotIntegerError
from ..options import ConvertOptions
from ..analysis.evaluate import compare
from ..analysis.model_info import summarize
from ..model_source import FloatModel, from_keras_model, load_model
from ..quantize.stage import quantize_stage
from ..runtime import find_runtime

@dataclass
class ConversionResult:
    """The converted model and everything known about it."""

    model: bytes
    report: dict
    float_model: bytes = field(repr=False, default=b"")

    def save(self, path: str | os.PathLike, manifest_sidecar: bool = True) -> Path:
        """Write the model (and ``NAME.manifest.json`` beside it), each atomically."""
        from ..atomic import write_bytes_atomic, write_text_atomic

        dest = Path(path)
        if manifest_sidecar and self.report.get("manifest"):
            write_text_atomic(manifest_path(dest), json.dumps(self.report["manifest"], indent=2, sort_keys=True))
        return write_bytes_atomic(dest, self.model)


def manifest_path(model_path: str | os.PathLike) -> Path:
    """``out/model.tflite`` → ``out/model.manifest.json``."""
    p = Path(model_path)
    return p.with_name(p.stem + ".manifest.json")


def _source(model: Any) -> FloatModel:
    if isinstance(model, FloatModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load_model(model)
    if hasattr(model, "layers") and hasattr(model, "export"):  # an in-memory Keras model
        return from_keras_model(model)
    raise DataError(f"cannot convert a {type(model).__name__}: give a path or a Keras model")


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


def _matches(op: dict, allowed: set[str]) -> bool:
    """``--allow-float`` names op types (any case: ``rsqrt``) or the user's layer names.

    A QUANTIZE/DEQUANTIZE bridging a float op is allowed with that op.
    """
    kind = op.get("serves") or op["op"]
    return any(a.upper() == kind or a == op["layer"] for a in allowed)


def convert(model: Any, data: str | os.PathLike | Samples, *, eval_data: str | os.PathLike | Samples | None = None,
            labels: str | os.PathLike | None = None, options: ConvertOptions | None = None,
            show_progress: bool = False, **option_values: Any) -> ConversionResult:
    """Convert ``model`` (path, Keras model) to a fully-integer TFLite model.

    ``data`` calibrates (folder of images, .npy, .npz, ``module:function`` or ``Samples``);
    ``eval_data`` (optional) measures agreement with the float model. ``options`` (a
    :class:`~edgeq.options.ConvertOptions`) holds every choice; its fields may also be given
    as keyword arguments, which override ``options``: ``calibration`` picks activation
    ranges (``mse`` by default; ``minmax`` is what TFLite does); ``equalize`` applies
    cross-layer equalization, ``weight_clipping`` MSE-optimal weight clipping and
    ``bias_correction`` corrects biases on the calibration data.
    ``max_accuracy_drop`` (points, needs ``eval_data``) moves to int16 activations, then —
    only for layers ``allow_float`` permits, or with ``allow_float=["budget"]`` — to float
    for the most sensitive layers until the drop is within budget. ``weights="int4"`` stores
    FULLY_CONNECTED/CONV_2D/DEPTHWISE_CONV_2D weights as packed int4 (``int4_layers`` limits
    which; ``int4_rounding`` ``gptq`` or ``nearest``), ``weights="mixed"`` chooses int4 or int8
    per layer for the smallest model within ``max_accuracy_drop`` (default 1 point). Raises
    :class:`~edgeq.errors.NotIntegerError` when an op would stay float and is not allowed.
    """
    t0 = time.perf_counter()
    opts = (options or ConvertOptions()).replace(**option_values).resolved()
    if opts.max_accuracy_drop is not None and eval_data is None:
        raise DataError("--max-accuracy-drop needs --eval-data to measure the drop against float: add it")
    if opts.weights == "mixed" and eval_data is None:
        raise DataError("--weights mixed needs --eval-data to measure each layer's cost: add it")
    per_tensor, calibration, percentile = opts.per_tensor, opts.calibration, opts.percentile
    max_accuracy_drop, weights, int4_layers, int4_rounding = (opts.max_accuracy_drop, opts.weights,
                                                              opts.int4_layers, opts.int4_rounding)
    max_samples, image = opts.max_samples, opts.image
    src = _source(model)
    image = image or ImageOptions()
    if image.normalize is None and src.image_hint.get("normalize"):
        image = ImageOptions(image.size, image.color, image.layout, src.image_hint["normalize"])
        opts = opts.replace(image=image)
    calib = _in_model_order(data, src) if isinstance(data, Samples) else load_samples(
        data, src.inputs, image=image, max_samples=max_samples, role="calibration")
    ev = None
    if eval_data is not None:
        ev = _in_model_order(eval_data, src) if isinstance(eval_data, Samples) else load_samples(
            eval_data, src.inputs, image=image, max_samples=None, role="eval")
        if labels is not None:
            ev.labels = _load_labels(labels, len(ev))
    allowed = set(opts.allow_float)
    quant = quantize_stage(src.tflite, calib, opts, show_progress=show_progress)
    float_model, qmodel = quant.float_model, quant.model
    info = summarize(qmodel, src.layer_names, io=quant.io, output_layers=src.output_layers)
    blocking = [o for o in info["non_integer_ops"] if not _matches(o, allowed)]
    if blocking:
        raise NotIntegerError(_not_integer_message(blocking), blocking)
    evaluation = None
    if ev is not None:
        evaluation = compare(src.tflite, qmodel, ev, show_progress=show_progress,
                             output_names=[o["name"] for o in info["outputs"]])
    budget = None
    if max_accuracy_drop is not None:
        from .budget import meet_budget

        quant, evaluation, budget = meet_budget(src, calib, ev, opts, quant, evaluation,
                                                show_progress=show_progress)
        qmodel = quant.model
        info = summarize(qmodel, src.layer_names, io=quant.io, output_layers=src.output_layers)
    int4_report = None
    if weights != "int8":
        qmodel, int4_report = _int4_weights(qmodel, float_model, calib, ev, weights, int4_layers, int4_rounding,
                                            1.0 if max_accuracy_drop is None else max_accuracy_drop,
                                            src.layer_names, show_progress)
        info = summarize(qmodel, src.layer_names, io=quant.io, output_layers=src.output_layers)
        if ev is not None:
            evaluation = compare(src.tflite, qmodel, ev, show_progress=show_progress,
                                 output_names=[o["name"] for o in info["outputs"]])

    report: dict[str, Any] = {
        "edgeq_version": __version__,
        "source": {"path": src.path, "kind": src.kind, "sha256": src.sha256, "bytes": src.source_bytes},
        "converter": _converter_versions(),
        "calibration": {"method": quant.calibrated.calibration, "samples": len(calib), "data": str(calib.source),
                        "read_as": calib.notes, "tensors_with_edgeq_ranges": quant.calibrated.ranges,
                        **({"percentile": percentile} if calibration == "percentile" else {})},
        "graph_rewrites": quant.calibrated.graph_rewrites,
        "bias_correction": quant.bias_corrected,
        "io": quant.io,
        "activations": quant.activations,
        "weights": ("per-tensor " if per_tensor else "per-channel ") + (
            "int8" if weights == "int8" else f"int4/int8 ({weights}, {int4_rounding} rounding)"),
        "int4": int4_report,
        "sizes": {"source_bytes": src.source_bytes, "float_tflite_bytes": len(src.tflite),
                  "quant_bytes": len(qmodel), "compression": round(len(src.tflite) / len(qmodel), 3)},
        "model": info,
        "allowed_float": [o for o in info["non_integer_ops"]],
        "evaluation": evaluation,
        "budget": budget,
    }
    if src.image_hint.get("why") and calib.notes.get("format") == "images":
        report["calibration"]["read_as"]["normalize_why"] = src.image_hint["why"]
    if evaluation is not None:
        evaluation["data"] = str(ev.source)
    report["manifest"] = manifest.build(report, opts, calib)
    qmodel = manifest.embed(qmodel, report["manifest"])
    report["sizes"]["quant_bytes"] = len(qmodel)
    report["sizes"]["compression"] = round(len(src.tflite) / len(qmodel), 3)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return ConversionResult(qmodel, report, src.tflite)


def _int4_weights(qmodel: bytes, float_model: bytes, calib: Samples, ev: Samples | None, weights: str,
                  layers: Sequence[str] | None, rounding: str, max_drop: float, known_layers: Sequence[str] | None,
                  show_progress: bool) -> tuple[bytes, dict]:
    """int8 model → packed int4 weights where stock runtimes run them exactly (``edgeq.int4``)."""
    from ..int4 import mixed_precision, to_int4

    if len(calib.inputs) != 1:
        raise DataError("int4 weights are supported for single-input models for now: use --weights int8")
    samples = calib.inputs[0][:128]  # GPTQ's layer inputs come from these
    if weights == "mixed":
        return mixed_precision(qmodel, float_model, ev.inputs[0], ev.labels, max_accuracy_drop=max_drop,
                               rounding=rounding, samples=samples, layers=layers, known_layers=known_layers,
                               progress=show_progress, show_table=False)
    return to_int4(qmodel, float_model=float_model, layers=layers, rounding=rounding, samples=samples,
                   known_layers=known_layers, progress=show_progress)


def _not_integer_message(ops: list[dict]) -> str:
    real = [o for o in ops if not o.get("serves")] or ops
    kinds = sorted({o["op"] for o in real})
    bridges = len(ops) - len(real)
    lines = [f"{len(real)} op(s) cannot run in integers"
             + (f" (plus {bridges} QUANTIZE/DEQUANTIZE around them)" if bridges else "")
             + f"; nothing was written. Keep them float with --allow-float {','.join(kinds)} "
               "(the model then needs a float-capable runtime), or replace those layers:"]
    for o in real:
        layer = f" in layer '{o['layer']}'" if o["layer"] else ""
        lines.append(f"  - {o['op']}{layer}: {o['reason']}")
    return "\n".join(lines)


def _converter_versions() -> dict:
    out = {}
    try:
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        out["runtime"] = find_runtime().describe()
    except Exception:  # noqa: BLE001 - informative only
        pass
    return out
