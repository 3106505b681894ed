"""``edgeq convert`` of a model ``edgeq finetune`` wrote: convert it as it was trained.

The record's ranges go into the float model (:mod:`edgeq.quantize.fixed_ranges`), so every
quantization of this job, whichever calibration method and ladder rung, uses them; the
options change where they would undo the training: no cross-layer equalization or weight
clipping (they move weights off the grid), no bias correction, int4 weights with nearest
rounding on the layers trained int4 (GPTQ would re-round them), and the record's
calibration method where the options say ``auto``.
"""
from __future__ import annotations

from dataclasses import replace

from ..errors import ModelError
from ..quantize.fixed_ranges import embed_fixed_ranges
from ..tflite_schema import read_model, tensor_name
from .record import QatRecord, layer_tensors


def qat_job(job):
    """``job`` (a :class:`~edgeq.converter.job.ConvertJob`) with the QAT record of its model applied."""
    rec: QatRecord = job.src.qat
    opts = job.options
    changes: dict = {"equalize": False, "weight_clipping": False, "bias_correction": False}
    if opts.calibration == "auto":
        changes["calibration"] = rec.calibration
    if rec.weights == "int4" and opts.weights == "int8":
        changes.update(weights="int4", int4_layers=rec.int4_layers)
    if changes.get("weights", opts.weights) != "int8":
        changes["int4_rounding"] = "nearest"
    src = job.src
    keys = layer_tensors(src.tflite, src.layer_names, src.output_layers)
    missing = sorted(k for k in rec.ranges if k not in keys)
    if missing:
        raise ModelError(f"the QAT record names tensors this model does not have ({', '.join(missing[:5])}): "
                         "the model changed after edgeq finetune; fine-tune it again")
    sg = read_model(src.tflite).subgraphs[0]
    named = {tensor_name(sg.tensors[keys[k]]): r for k, r in rec.ranges.items()}
    src = replace(src, tflite=embed_fixed_ranges(src.tflite, named))
    return replace(job, src=src, options=opts.replace(**changes).resolved())


def qat_summary(rec: QatRecord, applied: int | None) -> dict:
    """The report's ``qat`` section."""
    return {"weights": rec.weights, "int4_layers": list(rec.int4_layers), "calibration": rec.calibration,
            "epochs": rec.epochs, "ranges_recorded": len(rec.ranges), "ranges_applied": applied or 0,
            "finetune_metrics": rec.metrics}
