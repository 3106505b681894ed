"""Precision under an accuracy budget: ``edgeq convert --max-accuracy-drop X``.

The ladder, cheapest first: the int8 model as converted; int16 activations for the
whole model (TFLite's quantizers cannot mix int8 and int16 activations per layer);
then, only where the user allows float, the most sensitive layers (ranked by
quantizing one layer at a time) kept float, one more at a time. Every rung is
measured on the eval data and reported, with its size.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..datasets import Samples
from ..errors import DataError, EdgeqError
from ..quantize.stage import QuantizeResult, calibrate_stage, quantize_stage
from .job import Candidate, ConvertJob

#: samples used to rank layers (the final check always uses the whole eval set)
SENSITIVITY_SAMPLES = 200
MAX_FLOAT_LAYERS = 8


def drop_points(evaluation: dict) -> float:
    """Accuracy points lost against float; without labels, the share of changed top-1 answers."""
    first = evaluation["outputs"][0]
    if "accuracy_drop_points" in first:
        return float(first["accuracy_drop_points"])
    if "top1_agreement" in first:
        return 100.0 * (1.0 - float(first["top1_agreement"]))
    raise DataError("--max-accuracy-drop needs a classifier output (class scores) or labels in the eval data: "
                    "give labels, or drop --max-accuracy-drop and read the SQNR in the report")


@dataclass(frozen=True)
class _Rung:
    """One step of the ladder, measured."""

    quant: QuantizeResult
    evaluation: dict
    drop: float
    label: str
    float_layers: tuple[str, ...] = ()


def meet_budget(job: ConvertJob, first: Candidate) -> Candidate:
    """The cheapest rung within ``job.options.max_accuracy_drop`` (else the best one), its report in ``.budget``."""
    options = job.options
    max_drop = options.max_accuracy_drop
    names = [o["name"] for o in first.evaluation["outputs"]]

    def measure(quant: QuantizeResult, label: str, float_layers: tuple[str, ...] = ()) -> _Rung:
        evaluation = job.evaluate(quant.model, names)
        return _Rung(quant, evaluation, drop_points(evaluation), label, float_layers)

    base_bytes = len(first.model)
    best = _Rung(first.quant, first.evaluation, drop_points(first.evaluation), first.quant.activations)
    trail = [{"step": best.label, "drop_points": best.drop, "bytes": base_bytes}]

    def done(met: bool, r: _Rung) -> Candidate:
        report = {"max_drop_points": max_drop, "met": met, "chosen": r.label, "drop_points": r.drop,
                  "float_layers": list(r.float_layers), "bytes": len(r.quant.model),
                  "size_cost_bytes": len(r.quant.model) - base_bytes, "trail": trail}
        return Candidate(r.quant.model, r.quant, job.summarize(r.quant.model, r.quant.io), r.evaluation,
                         budget=report)

    if best.drop <= max_drop:
        return done(True, best)
    if first.quant.activations == "int8":
        try:
            q16 = quantize_stage(job.src.tflite, job.calib, options.replace(activations="int16"),
                                 show_progress=job.show_progress)
            r = measure(q16, "int16 activations (whole model)")
            trail.append({"step": "int16 activations", "drop_points": r.drop, "bytes": len(q16.model), "io": q16.io})
            if r.drop <= max_drop:
                return done(True, r)
            best = min(best, r, key=lambda c: c.drop)
        except EdgeqError as e:
            trail.append({"step": "int16 activations", "error": str(e)})
    if "budget" not in options.allow_float:
        trail.append({"step": "float layers", "skipped": "float is not allowed: add --allow-float budget"})
        return done(False, best)
    int8 = options.replace(activations="int8")  # TFLite keeps layers float only on its int8 path
    base = first.quant.calibrated
    if first.quant.activations != "int8":
        base = calibrate_stage(job.src.tflite, job.calib, int8, show_progress=job.show_progress)
    ranking, nodes = _most_sensitive_layers(job, base.float_model)
    keep: list[str] = []
    for layer in ranking[:MAX_FLOAT_LAYERS]:
        keep.append(layer)
        q = quantize_stage(base, job.calib, int8, keep_float=[t for k in keep for t in nodes.get(k, [])],
                           show_progress=job.show_progress)
        r = measure(q, f"int8 with {len(keep)} layer(s) kept float", tuple(keep))
        trail.append({"step": f"float: {', '.join(keep)}", "drop_points": r.drop, "bytes": len(q.model)})
        if r.drop <= max_drop:
            return done(True, r)
        best = min(best, r, key=lambda c: c.drop)
    return done(False, best)


def _most_sensitive_layers(job: ConvertJob, float_model: bytes) -> tuple[list[str], dict[str, list[str]]]:
    """Layers, most sensitive first (ranked on at most SENSITIVITY_SAMPLES eval samples), and their tensors."""
    from ..analysis.sensitivity import layer_sensitivity, quantizable_layers

    src, ev = job.src, job.ev
    ev_small = Samples([x[:SENSITIVITY_SAMPLES] for x in ev.inputs],
                       None if ev.labels is None else ev.labels[:SENSITIVITY_SAMPLES])
    ranking = layer_sensitivity(float_model, list(job.calib), list(ev_small), labels=ev_small.labels,
                                known_layers=src.layer_names, output_layers=src.output_layers,
                                progress=job.show_progress)
    return [r.layer for r in ranking], quantizable_layers(float_model, src.layer_names, src.output_layers)
