"""``edgeq.convert``: a trained model plus representative data → a fully-integer TFLite model.

The data flows one way, each stage taking the job and the candidate model the one
before it made: model source and data (:mod:`.job`) → quantize stage
(:mod:`edgeq.quantize`) → strict integer check (read back from the flatbuffer) →
evaluation against float → budget ladder (:mod:`.budget`, with
``max_accuracy_drop``) → int4 weights (:mod:`edgeq.int4`, with ``weights``) →
report (:mod:`.summary`) and manifest (:mod:`.manifest`). Nothing is written to
disk here; the CLI writes the result atomically.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datasets import Samples
from ..errors import DataError, NotIntegerError
from ..analysis.evaluate import add_verdicts
from ..options import ConvertOptions
from ..quantize.stage import dynamic_range_stage, quantize_stage
from . import manifest
from .budget import meet_budget
from .job import Candidate, ConvertJob, open_job
from .summary import conversion_report, next_rung


@dataclass
class ConversionResult:
    """The converted model and everything known about it."""

    model: bytes
    report: dict
    float_model: bytes = field(repr=False, default=b"")

    def output_files(self, path: str | os.PathLike, manifest_sidecar: bool = True) -> dict[Path, bytes]:
        """What :meth:`save` writes: the model and ``NAME.manifest.json`` beside it."""
        dest = Path(path)
        files = {dest: self.model}
        if manifest_sidecar and self.report.get("manifest"):
            files[manifest.manifest_path(dest)] = json.dumps(self.report["manifest"], indent=2,
                                                             sort_keys=True).encode()
        return files

    def save(self, path: str | os.PathLike, manifest_sidecar: bool = True) -> Path:
        """Write the model (and ``NAME.manifest.json`` beside it), both or neither."""
        from ..atomic import write_files_atomic

        return write_files_atomic(self.output_files(path, manifest_sidecar))[0]


def convert(model: Any, data: str | os.PathLike | Samples | None, *, eval_data: str | os.PathLike | Samples | None = None,
            labels: str | os.PathLike | None = None, options: ConvertOptions | None = None,
            example_inputs: Any = None, train_data: str | os.PathLike | Samples | None = None,
            show_progress: bool = False, **option_values: Any) -> ConversionResult:
    """Convert ``model`` (path, Keras model, ``torch.nn.Module``) to a fully-integer TFLite model.

    A path may be .keras/.h5, a SavedModel folder, a float .tflite, a PyTorch ``torch.export``
    program (.pt2) or an .onnx file; an ``nn.Module`` needs ``example_inputs`` (a tensor or a tuple
    of tensors with the model's fixed input sizes). PyTorch and ONNX models keep their own (NCHW)
    layout: calibration data follows it.

    ``data`` calibrates (folder of images, .npy, .npz, ``module:function`` or ``Samples``);
    ``eval_data`` (optional) measures agreement with the float model. ``options`` (a
    :class:`~edgeq.options.ConvertOptions`) holds every choice; its fields may also be given
    as keyword arguments, which override ``options``: ``calibration`` picks activation
    ranges (``mse`` by default; ``minmax`` is what TFLite does); ``equalize`` applies
    cross-layer equalization, ``weight_clipping`` MSE-optimal weight clipping and
    ``bias_correction`` corrects biases on the calibration data.
    ``max_accuracy_drop`` (points, needs ``eval_data``) moves to int16 activations, then (with
    labelled ``train_data`` and a Keras model) to quantization-aware fine-tuning, then —
    only for layers ``allow_float`` permits, or with ``allow_float=["budget"]`` — to float
    for the most sensitive layers until the drop is within budget. ``weights="int4"`` stores
    FULLY_CONNECTED/CONV_2D/DEPTHWISE_CONV_2D weights as packed int4 (``int4_layers`` limits
    which; ``int4_rounding`` ``gptq`` or ``nearest``), ``weights="mixed"`` chooses int4 or int8
    per layer for the smallest model within ``max_accuracy_drop`` (default 1 point).
    ``activations="float"`` is dynamic-range quantization (int8 or int4 weights, float
    activations; ``data`` may be None): not fully integer, and reported as such. Raises
    :class:`~edgeq.errors.NotIntegerError` when an op would stay float and is not allowed.
    """
    t0 = time.perf_counter()
    opts = (options or ConvertOptions()).replace(**option_values).resolved()
    if (opts.max_accuracy_drop is not None or opts.min_sqnr_db is not None) and eval_data is None:
        flag = "--max-accuracy-drop" if opts.max_accuracy_drop is not None else "--min-sqnr"
        raise DataError(f"{flag} needs --eval-data to measure against float: add it")
    if opts.weights == "mixed" and eval_data is None:
        raise DataError("--weights mixed needs --eval-data to measure each layer's cost: add it")
    if data is None and opts.activations != "float":
        raise DataError("--data is needed to calibrate integer activations: give calibration samples "
                        "(only --activations float converts without them)")
    job = open_job(model, data, eval_data, labels, opts, show_progress, example_inputs, train_data)
    if job.src.qat is not None and opts.activations == "int8":
        from ..qat.convert import qat_job

        job = qat_job(job)
        opts = job.options
    if opts.activations == "float":
        quant = dynamic_range_stage(job.src.tflite, opts)
        info = job.summarize(quant.model, quant.io)
        cand = Candidate(quant.model, quant, info, job.evaluate(quant.model, [o["name"] for o in info["outputs"]]))
    else:
        cand = _quantized(job)
    if opts.max_accuracy_drop is not None or opts.min_sqnr_db is not None:
        cand = meet_budget(job, cand)
    if opts.weights != "int8" and opts.activations != "float":  # float activations took int4 weights already
        cand = _int4_weights(job, cand)
    report = conversion_report(job, cand)
    if cand.evaluation is not None:
        report["warnings"] = add_verdicts(cand.evaluation, next_rung(job.options, cand), opts.min_sqnr_db)
    report["manifest"] = manifest.build(report, job.options, job.calib, job.src.output_layers, cand.smoothing)
    qmodel = manifest.embed(cand.model, report["manifest"])
    report["sizes"]["quant_bytes"] = len(qmodel)
    report["sizes"]["compression"] = round(len(job.src.tflite) / len(qmodel), 3)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return ConversionResult(qmodel, report, job.src.tflite)


def _quantized(job: ConvertJob) -> Candidate:
    """The quantize stage's model, refused when an op stays float that the options do not allow."""
    quant = quantize_stage(job.src.tflite, job.calib, job.options, show_progress=job.show_progress)
    info = job.summarize(quant.model, quant.io)
    blocking = [o for o in info["non_integer_ops"] if not _matches(o, set(job.options.allow_float))]
    if blocking:
        raise NotIntegerError(_not_integer_message(blocking), blocking)
    return Candidate(quant.model, quant, info, job.evaluate(quant.model, [o["name"] for o in info["outputs"]]))


def _int4_weights(job: ConvertJob, cand: Candidate) -> Candidate:
    """int8 model → packed int4 weights where stock runtimes run them exactly (``edgeq.int4``)."""
    from ..int4 import mixed_precision, to_int4

    opts, calib, ev = job.options, job.calib, job.ev
    if len(calib.inputs) != 1:
        raise DataError("int4 weights are supported for single-input models for now: use --weights int8")
    samples = calib.inputs[0][:128]  # GPTQ's layer inputs come from these
    if opts.weights == "mixed":
        max_drop = 1.0 if opts.max_accuracy_drop is None else opts.max_accuracy_drop
        model, report = mixed_precision(cand.model, cand.quant.float_model, ev.inputs[0], ev.labels,
                                        max_accuracy_drop=max_drop, rounding=opts.int4_rounding, samples=samples,
                                        layers=opts.int4_layers, known_layers=job.src.layer_names,
                                        progress=job.show_progress, show_table=False)
    else:
        model, report = to_int4(cand.model, float_model=cand.quant.float_model, layers=opts.int4_layers,
                                rounding=opts.int4_rounding, samples=samples, known_layers=job.src.layer_names,
                                progress=job.show_progress)
    return cand.with_model(job, model, int4=report)


def _matches(op: dict, allowed: set[str]) -> bool:
    """``--allow-float`` names op types (any case: ``rsqrt``), custom op codes (``Landmarks2TransformMatrix``)
    or the user's layer names.

    A QUANTIZE/DEQUANTIZE bridging a float op is allowed with that op.
    """
    kind = op.get("serves") or op["op"]
    return any(a.upper() in (kind.upper(), _flag_name(kind).upper()) or a == op["layer"] for a in allowed)


def _flag_name(kind: str) -> str:
    """The name ``--allow-float`` takes for an op type: a custom op by its code."""
    return kind[len("CUSTOM:"):] if kind.startswith("CUSTOM:") else kind


def _not_integer_message(ops: list[dict]) -> str:
    real = [o for o in ops if not o.get("serves")] or ops
    kinds = sorted({_flag_name(o["op"]) for o in real})
    bridges = len(ops) - len(real)
    lines = [f"{len(real)} op(s) cannot run in integers"
             + (f" (plus {bridges} QUANTIZE/DEQUANTIZE around them)" if bridges else "")
             + f"; nothing was written. Keep them float with --allow-float {','.join(kinds)} "
               "(the model then needs a float-capable runtime), or replace those layers:"]
    for o in real:
        layer = f" in layer '{o['layer']}'" if o["layer"] else ""
        lines.append(f"  - {o['op']}{layer} (op #{o['index']}): {o['reason']}")
    return "\n".join(lines)
