"""Conformance: each suite model converts and keeps a stated fidelity, beside TensorFlow's converter.

For one model, :func:`run_case` converts the float model with ``edgeq.convert`` (default
options, and with the budget ladder where the case asks), converts it with TensorFlow's own
quantizer on the same calibration data, and measures both against the float model on other
inputs of the same kind: per output SQNR, cosine and kind. The test suite runs it at small
sizes with a few samples (``tests/suite/test_conformance.py``); ``benchmarks/bench_conformance.py``
at full size.

TensorFlow's converter takes Keras models, not ``.tflite`` files; for the mediapipe files the
reference is what ``TFLiteConverter`` runs after its own conversion — TFLite's calibrator and
MLIR quantizer with min/max ranges, int8 I/O — on the float model with its fp16 weights folded
(TensorFlow cannot quantize them as shipped).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets import Samples
from ..errors import EdgeqError

#: SQNR above this counts as this (an identical output would make means infinite)
SQNR_CAP_DB = 60.0


@dataclass(frozen=True)
class Case:
    """One model of the conformance suite and what it must meet at the test size."""

    name: str
    test_size: int | None  # None: the size is fixed by the model file
    floor_db: float | None  # every output's SQNR against float, edgeq defaults, test size
    max_abs_error: float | None = None  # class scores of random-weight nets: probability error instead
    ladder_sqnr_db: float | None = None  # also convert with --min-sqnr this (the budget ladder)
    ladder_in_test: bool = False  # the tests run the ladder too (the benchmark always does)
    min_cosine: float | None = None  # with the ladder: mean cosine of every non-class output
    expect_error: str | None = None  # the model cannot convert: its one-line error must contain this
    allow_float: tuple[str, ...] = ()  # custom ops that stay float (--allow-float); the rest is integer


def _mp(stem: str, floor: float, **kw: Any) -> Case:
    return Case(f"mp_{stem}", None, floor, **kw)


def _keras(name: str) -> Case:
    # random weights make the 1000-way softmax nearly flat (every probability ~0.001, below int8's 1/256
    # step): SQNR says nothing there, so the floor is on the probabilities' absolute error
    return Case(name, 32, None, max_abs_error=0.01)


#: floors are the values measured at the test size (4 eval samples) less about 3 dB, re-measured whenever the
#: defaults change (benchmarks/results/conformance_test_size.json, made by bench_conformance.py --test-size)
CASES: dict[str, Case] = {c.name: c for c in (
    _mp("face_detection_short_range", 5.8),
    _mp("face_detection_full_range_sparse", 9.0),
    _mp("face_landmark", 12.6),
    # mediapipe's custom ops (run by the mediapipe delegate) stay float between QUANTIZE/DEQUANTIZE
    _mp("face_landmark_with_attention", 20.0,
        allow_float=("Landmarks2TransformMatrix", "TransformTensorBilinear", "TransformLandmarks")),
    _mp("hand_landmark_full", 4.0, ladder_sqnr_db=20.0),
    _mp("hand_landmark_lite", 4.0, ladder_sqnr_db=20.0),
    _mp("hand_recrop", 21.0),
    _mp("iris_landmark", 24.0),
    _mp("palm_detection_full", 10.0),
    _mp("palm_detection_lite", 10.0),
    _mp("pose_detection", 6.0),
    # judged on a figure drawn over the photo crops (registry.PERSON_INPUT): on the bare crops it saw no
    # person, its presence score sat near 0 (sigmoid of a very negative logit) and the floor was -32.4 dB
    _mp("pose_landmark_full", 0.7, ladder_sqnr_db=20.0),
    _mp("selfie_segmentation", 5.0, ladder_sqnr_db=20.0, ladder_in_test=True),
    _mp("selfie_segmentation_landscape", 14.0, ladder_sqnr_db=20.0),
    _keras("mobilenet_v2"), _keras("mobilenet_v3_small"), _keras("mobilenet_v3_large"), _keras("efficientnet_b0"),
    _keras("efficientnet_v2_b0"), _keras("convnext_tiny"),
    # ResNet50's random-weight softmax is not flat (15.4 dB here, 15.3 on the CI machine), so SQNR speaks;
    # its probability error is CPU-dependent (0.011 here, 0.017 in CI, TensorFlow's own int8 0.017)
    Case("resnet50", 32, 12.4),
    Case("minilm_l6", 16, -5.0, ladder_sqnr_db=20.0, ladder_in_test=True, min_cosine=0.99),
)}


def _score(outputs: list[dict]) -> float:
    """One number per model: the mean over its outputs of SQNR (dB, capped at SQNR_CAP_DB)."""
    return float(np.mean([min(o["sqnr_db"], SQNR_CAP_DB) for o in outputs])) if outputs else math.nan


def _outputs(evaluation: dict) -> list[dict]:
    keep = ("name", "kind", "sqnr_db", "cosine_mean", "cosine_min", "mean_abs_error", "p99_abs_error",
            "max_abs_error", "value_range", "top1_agreement")
    return [{k: o[k] for k in keep if k in o} for o in evaluation["outputs"]]


def logits_output(float_tflite: bytes, quant_tflite: bytes, ev: Samples) -> dict | None:
    """Float vs quantized on the logits (the input of the SOFTMAX that writes an output), or None
    without one. A random-weight 1000-class head puts every probability below int8's 1/256 step, so
    both converters score ~0 dB there; the logits still carry the whole network's error."""
    from ..analysis.evaluate import compare
    from .informative import with_logits

    f, k = with_logits(float_tflite)
    q, kq = with_logits(quant_tflite)
    if k is None or kq is None:
        return None
    return {**_outputs(compare(f, q, ev))[k], "name": "logits"}


def tf_reference(float_tflite: bytes, calib: Samples) -> bytes:
    """TensorFlow's quantizer as ``TFLiteConverter`` runs it: calibrator + MLIR quantizer, min/max, int8 I/O."""
    from ..quantize.tf_bridge import calibrate, mlir_quantize

    return mlir_quantize(calibrate(float_tflite, calib), io="int8")


def run_case(name: str, size: int | None = None, *, calib_samples: int = 8, eval_samples: int = 4,
             ladder_sqnr_db: float | None = None, tf: bool = True) -> dict:
    """Convert suite model ``name`` with edgeq (and TensorFlow) and measure both against float.

    The case's ``allow_float`` custom ops stay float in both (TensorFlow's quantizer keeps ops it
    cannot quantize float by itself; edgeq needs them named)."""
    import edgeq

    from .. import suite
    from ..analysis.evaluate import compare
    from ..model_source import load_model

    spec = suite.spec(name)
    size = spec.size_or_default(size, "test") if spec.bench_size is not None else None
    float_path = suite.get(name, size, "float").path
    calib = Samples(spec.inputs(calib_samples, size, 0), source=f"{name} calibration (seed 0)")
    ev = Samples(spec.inputs(eval_samples, size, 1), source=f"{name} evaluation (seed 1)")
    row: dict[str, Any] = {"name": name, "family": spec.family, "size": size, "weights": spec.weights,
                           "inputs": spec.input_note, "calib_samples": calib_samples, "eval_samples": eval_samples}
    allow = CASES[name].allow_float if name in CASES else ()
    t0 = time.perf_counter()
    try:
        r = edgeq.convert(str(float_path), calib, eval_data=ev, allow_float=allow)
    except EdgeqError as e:
        row.update(converts=False, error=str(e).splitlines()[0])
        return row
    info = r.report["model"]
    row.update(converts=True, fully_integer=info["fully_integer"], allow_float=list(allow),
               float_ops=sorted({o["op"] for o in info["non_integer_ops"]}),
               source_prepared=load_model(float_path).prepared,
               edgeq={"bytes": len(r.model), "outputs": _outputs(r.report["evaluation"]),
                      "seconds": round(time.perf_counter() - t0, 1)})
    row["edgeq"]["score_db"] = _score(row["edgeq"]["outputs"])
    cal = r.report["calibration"]
    row["edgeq"]["calibration"] = {"method": cal["method"], "auto_scores_db": cal.get("auto_scores_db"),
                                   "auto_test": cal.get("auto_test"),
                                   "graph_rewrites": r.report.get("graph_rewrites") or {}}
    logits = logits_output(load_model(float_path).tflite, r.model, ev) if tf else None  # beside TF's only
    if logits:
        row["edgeq"]["logits"] = logits
    if ladder_sqnr_db is not None:
        t0 = time.perf_counter()
        lr = edgeq.convert(str(float_path), calib, eval_data=ev, min_sqnr_db=ladder_sqnr_db, allow_float=allow)
        b = lr.report["budget"]
        row["edgeq_ladder"] = {"min_sqnr_db": ladder_sqnr_db, "met": b["met"], "chosen": b["chosen"],
                               "bytes": len(lr.model), "size_vs_int8": round(len(lr.model) / len(r.model), 4),
                               "fully_integer": lr.report["model"]["fully_integer"],
                               "outputs": _outputs(lr.report["evaluation"]), "trail": b["trail"],
                               "seconds": round(time.perf_counter() - t0, 1)}
        row["edgeq_ladder"]["score_db"] = _score(row["edgeq_ladder"]["outputs"])
    if tf:
        t0 = time.perf_counter()
        try:
            if spec.float_file is not None:
                tq = tf_reference(load_model(float_path).tflite, calib)
                how = "TFLite calibrator + MLIR quantizer (min/max, int8 I/O) on the fp16-folded float model"
            else:
                tq = suite.get(name, size, "tf-int8", samples=calib_samples).bytes
                how = "tf.lite.TFLiteConverter (TFLITE_BUILTINS_INT8, int8 I/O), same calibration inputs"
            ref = load_model(float_path).tflite
            tev = compare(ref, tq, ev)
            row["tf"] = {"converter": how, "bytes": len(tq), "outputs": _outputs(tev),
                         "seconds": round(time.perf_counter() - t0, 1)}
            row["tf"]["score_db"] = _score(row["tf"]["outputs"])
            tl = logits_output(ref, tq, ev)
            if tl:
                row["tf"]["logits"] = tl
        except EdgeqError as e:
            row["tf"] = {"error": str(e).splitlines()[0]}
        if "score_db" in row.get("tf", {}):
            row["gain_db"] = row["edgeq"]["score_db"] - row["tf"]["score_db"]
        if "logits" in row["edgeq"] and "logits" in row.get("tf", {}):
            row["logits_gain_db"] = _score([row["edgeq"]["logits"]]) - _score([row["tf"]["logits"]])
    return row
