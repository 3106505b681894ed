"""Precision under an accuracy budget: ``edgeq convert --max-accuracy-drop X``.

The ladder, cheapest first: the int8 model as converted; int16 activations for the
whole model (TFLite's quantizers cannot mix int8 and int16 activations per layer);
then, only where the user allows float, the most sensitive layers (ranked by
quantizing one layer at a time) kept float, one more at a time. Every rung is
measured on the eval data and reported, with its size.
"""
from __future__ import annotations

from typing import Any

from ..analysis.evaluate import compare
from ..datasets import Samples
from ..errors import DataError, EdgeqError
from ..options import ConvertOptions
from ..quantize.stage import QuantizeResult, calibrate_stage, quantize_stage

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


def meet_budget(src: Any, calib: Samples, ev: Samples, options: ConvertOptions, quant: QuantizeResult,
                evaluation: dict, *, show_progress: bool = False) -> tuple[QuantizeResult, dict, dict]:
    """Return (quantization, evaluation, budget report) for the cheapest rung within the budget."""
    max_drop = options.max_accuracy_drop
    names = [o["name"] for o in evaluation["outputs"]]

    def measure(model: bytes) -> dict:
        return compare(src.tflite, model, ev, output_names=names, show_progress=show_progress)

    base_bytes = len(quant.model)
    d = drop_points(evaluation)
    trail = [{"step": quant.activations, "drop_points": d, "bytes": base_bytes}]
    best = (d, quant, evaluation, quant.activations, [])

    def done(met: bool, choice: tuple) -> tuple[QuantizeResult, dict, dict]:
        drop, q, e, label, layers = choice
        return q, e, {"max_drop_points": max_drop, "met": met, "chosen": label, "drop_points": drop,
                      "float_layers": layers, "bytes": len(q.model),
                      "size_cost_bytes": len(q.model) - base_bytes, "trail": trail}

    if d <= max_drop:
        return done(True, best)
    if quant.activations == "int8":
        try:
            q16 = quantize_stage(src.tflite, calib, options.replace(activations="int16"), show_progress=show_progress)
            e16 = measure(q16.model)
            d16 = drop_points(e16)
            trail.append({"step": "int16 activations", "drop_points": d16, "bytes": len(q16.model), "io": q16.io})
            choice = (d16, q16, e16, "int16 activations (whole model)", [])
            if d16 <= max_drop:
                return done(True, choice)
            best = min(best, choice, key=lambda c: c[0])
        except EdgeqError as e:
            trail.append({"step": "int16 activations", "error": str(e)})
    if "budget" not in options.allow_float:
        trail.append({"step": "float layers", "skipped": "float is not allowed: add --allow-float budget"})
        return done(False, best)
    from ..analysis.sensitivity import layer_sensitivity, quantizable_layers

    float_model = quant.float_model
    cal = [x for x in calib]
    ev_small = Samples([x[:SENSITIVITY_SAMPLES] for x in ev.inputs],
                       None if ev.labels is None else ev.labels[:SENSITIVITY_SAMPLES])
    ranking = layer_sensitivity(float_model, cal, list(ev_small), labels=ev_small.labels,
                                known_layers=src.layer_names, output_layers=src.output_layers,
                                progress=show_progress)
    nodes = quantizable_layers(float_model, src.layer_names, src.output_layers)
    int8 = options.replace(activations="int8")  # TFLite keeps layers float only on its int8 path
    base = quant.calibrated
    if quant.activations != "int8":
        base = calibrate_stage(src.tflite, calib, int8, show_progress=show_progress)
    keep: list[str] = []
    for r in ranking[:MAX_FLOAT_LAYERS]:
        keep.append(r.layer)
        q = quantize_stage(base, calib, int8, keep_float=[t for layer in keep for t in nodes.get(layer, [])],
                           show_progress=show_progress)
        e = measure(q.model)
        dq = drop_points(e)
        trail.append({"step": f"float: {', '.join(keep)}", "drop_points": dq, "bytes": len(q.model)})
        choice = (dq, q, e, f"int8 with {len(keep)} layer(s) kept float", list(keep))
        if dq <= max_drop:
            return done(True, choice)
        best = min(best, choice, key=lambda c: c[0])
    return done(False, best)
