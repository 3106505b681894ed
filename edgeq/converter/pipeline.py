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
from ..quantize.graph_rewrites import apply_rewrites
from ..analysis.model_info import summarize
from ..model_source import FloatModel, from_keras_model, load_model
from ..quantize.tf_bridge import calibrate, quantize, quantize_16x8
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
    io, activations, per_tensor = opts.io, opts.activations, opts.per_tensor
    calibration, percentile, bias_correction = opts.calibration, opts.percentile, opts.bias_correction
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
    float_model, improvements = _improve_float_model(src.tflite, opts.equalize, opts.weight_clipping)

    def build(acts: str, keep_float: Sequence[str] = ()) -> tuple[bytes, dict]:
        # TFLite's 16x8 models take int16 or float I/O: an int8/uint8 request becomes int16
        io_here = "int16" if acts == "int16" and io in ("int8", "uint8") else io
        return _quantize_model(float_model, calib, acts=acts, io=io_here, per_tensor=per_tensor,
                               calibration=calibration, percentile=percentile, bias_correction=bias_correction,
                               keep_float=keep_float, show_progress=show_progress)

    qmodel, notes = build(activations)
    info = summarize(qmodel, src.layer_names, io=notes["io"], output_layers=src.output_layers)
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

        qmodel, notes, evaluation, budget = meet_budget(
            src, float_model, calib, ev, max_accuracy_drop, build, qmodel, notes, evaluation,
            allow_float_layers="budget" in allowed, show_progress=show_progress)
        info = summarize(qmodel, src.layer_names, io=notes["io"], output_layers=src.output_layers)
    int4_report = None
    if weights != "int8":
        qmodel, int4_report = _int4_weights(qmodel, float_model, calib, ev, weights, int4_layers, int4_rounding,
                                            1.0 if max_accuracy_drop is None else max_accuracy_drop,
                                            src.layer_names, show_progress)
        info = summarize(qmodel, src.layer_names, io=notes["io"], output_layers=src.output_layers)
        if ev is not None:
            evaluation = compare(src.tflite, qmodel, ev, show_progress=show_progress,
                                 output_names=[o["name"] for o in info["outputs"]])

    report: dict[str, Any] = {
        "edgeq_version": __version__,
        "source": {"path": src.path, "kind": src.kind, "sha256": src.sha256, "bytes": src.source_bytes},
        "converter": _converter_versions(),
        "calibration": {"method": notes["calibration"], "samples": len(calib), "data": str(calib.source),
                        "read_as": calib.notes, "tensors_with_edgeq_ranges": notes.get("ranges"),
                        **({"percentile": percentile} if calibration == "percentile" else {})},
        "graph_rewrites": improvements,
        "bias_correction": notes.get("bias_corrected"),
        "io": notes["io"],
        "activations": notes["activations"],
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


def _improve_float_model(float_model: bytes, equalize: bool, weight_clipping: bool) -> tuple[bytes, dict]:
    """Float-graph changes before calibration: exact rewrites, then the optional numeric ones."""
    float_model, done = apply_rewrites(float_model)  # e.g. LayerNorm's NEG, which would stay float
    if equalize:
        from ..quantize.equalize import equalize_cross_layer

        float_model, pairs = equalize_cross_layer(float_model)
        if pairs:
            done["cross_layer_equalization_pairs"] = pairs
    if weight_clipping:
        from ..quantize.weight_clipping import clip_model_weights

        float_model, n = clip_model_weights(float_model)
        if n:
            done["weight_clipping_layers"] = n
    return float_model, done


def _quantize_model(float_model: bytes, calib: Samples, *, acts: str, io: str, per_tensor: bool,
                    calibration: str, percentile: float, bias_correction: bool, keep_float: Sequence[str],
                    show_progress: bool) -> tuple[bytes, dict]:
    """One quantization of the (improved) float model; ``keep_float`` are tensor names left float."""
    notes: dict[str, Any] = {"activations": acts, "io": io, "calibration": calibration}
    if acts == "int16":
        notes["calibration"] = "minmax"  # TFLite's 16x8 quantizer calibrates itself; int16 has range to spare
        return quantize_16x8(float_model, calib, io=io, per_tensor=per_tensor, show_progress=show_progress), notes
    calibrated = calibrate(float_model, calib, show_progress=show_progress)
    if calibration != "minmax":
        from ..quantize.calibration import activation_ranges, apply_ranges

        ranges = activation_ranges(float_model, calib, calibration, percentile=percentile, progress=show_progress)
        calibrated = apply_ranges(calibrated, ranges)
        notes["ranges"] = len(ranges)
    qmodel = quantize(calibrated, io=io, per_tensor=per_tensor, denylisted_nodes=keep_float)
    if bias_correction:
        from ..quantize.bias_correction import correct_bias

        qmodel, n = correct_bias(float_model, qmodel, list(calib))
        notes["bias_corrected"] = n
    return qmodel, notes


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
