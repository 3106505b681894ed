"""The conversion report: one JSON-ready dict of what went in, what was done and what came out."""
from __future__ import annotations

from typing import Any

from .. import __version__
from ..runtime import find_runtime
from ..options import ConvertOptions
from .job import Candidate, ConvertJob


def conversion_report(job: ConvertJob, cand: Candidate) -> dict[str, Any]:
    """The report of ``cand``, the final candidate of ``job`` (sizes before the manifest is embedded)."""
    src, calib, opts, quant = job.src, job.calib, job.options, cand.quant
    report: dict[str, Any] = {
        "edgeq_version": __version__,
        "source": {"path": src.path, "kind": src.kind, "sha256": src.sha256, "bytes": src.source_bytes},
        "converter": _converter_versions(),
        "calibration": {"method": quant.calibrated.calibration, "samples": len(calib), "data": str(calib.source),
                        "read_as": calib.notes, "tensors_with_edgeq_ranges": quant.calibrated.ranges,
                        **({"auto_scores_db": quant.calibrated.auto_scores} if quant.calibrated.auto_scores else {}),
                        **({"auto_test": quant.calibrated.auto_test} if quant.calibrated.auto_test else {}),
                        **({"fixed_ranges": quant.calibrated.fixed_ranges} if quant.calibrated.fixed_ranges else {}),
                        **({"percentile": opts.percentile} if opts.calibration == "percentile" else {})},
        "graph_rewrites": quant.calibrated.graph_rewrites,
        "bias_correction": quant.bias_corrected,
        "io": quant.io,
        "activations": quant.activations,
        "weights": _weights_label(opts, quant.dynamic_range),
        "int4": cand.int4,
        "sizes": {"source_bytes": src.source_bytes, "float_tflite_bytes": len(src.tflite),
                  "quant_bytes": len(cand.model), "compression": round(len(src.tflite) / len(cand.model), 3)},
        "model": cand.info,
        "allowed_float": [] if quant.dynamic_range else [o for o in cand.info["non_integer_ops"]],
        "dynamic_range": quant.dynamic_range,
        "evaluation": cand.evaluation,
        "budget": cand.budget,
    }
    if src.qat is not None:
        from ..qat.convert import qat_summary

        report["qat"] = qat_summary(src.qat, quant.calibrated.fixed_ranges)
    if src.image_hint.get("why") and calib.notes.get("format") == "images" and \
            calib.notes.get("normalize") == src.image_hint.get("normalize"):
        read_as = report["calibration"]["read_as"]
        read_as["normalize_why"] = src.image_hint["why"]
        read_as["inferred"] = [*read_as.get("inferred", []), "normalize"]
    if src.image_hint.get("layout"):  # a front end's model: say what was assumed about its inputs
        fmt = calib.notes.get("format")
        report["source"]["inputs_assumed"] = {
            "layout": src.image_hint["layout"], "why": src.image_hint.get("layout_why", ""),
            "normalize": calib.notes.get("normalize") if fmt == "images" else "none: arrays are fed as given"}
    if src.prepared:  # a zoo .tflite as shipped: what was folded and decomposed before quantizing
        report["source"]["prepared"] = src.prepared
    if cand.evaluation is not None:
        cand.evaluation["data"] = str(job.ev.source)
    return report


def _weights_label(opts: ConvertOptions, dynamic_range: dict | None) -> str:
    if dynamic_range is not None:
        return ("per-channel " + opts.weights + (" (FULLY_CONNECTED; convolutions int8)" if opts.weights == "int4" else "")
                + f" on {dynamic_range['quantized_weights']} layers, activations float (dynamic range)")
    return ("per-tensor " if opts.per_tensor else "per-channel ") + (
        "int8" if opts.weights == "int8" else f"int4/int8 ({opts.weights}, {opts.int4_rounding} rounding)")


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


def next_rung(options: ConvertOptions, cand: Candidate) -> str:
    """What to try when an output of ``cand`` is poor, given how it was made."""
    if cand.quant.activations == "float":
        return "fewer layers with integer weights is not offered; --activations int16 (fully integer) may hold better"
    if cand.budget is None:
        if cand.quant.activations == "int8":
            return ("--min-sqnr DB or --max-accuracy-drop POINTS (edgeq then tries int16 islands where layers lose "
                    "most, then int16 activations), or --activations int16")
        return "--min-sqnr DB --allow-float budget (keeps the most sensitive layers float)"
    if "budget" not in options.allow_float:
        return "--allow-float budget (the ladder then keeps the most sensitive layers float)"
    return "more or better calibration data (--max-samples), or 'edgeq debug --sensitivity' to see which layers lose most"
