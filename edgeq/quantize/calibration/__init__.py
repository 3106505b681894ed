"""Activation calibration beyond TFLite's global min/max.

``activation_ranges`` runs the float model over calibration samples and turns each
activation's statistics into a (min, max) with one of :data:`METHODS`;
``apply_ranges`` writes them into the output of TFLite's ``Calibrator`` before the
MLIR quantizer runs.
"""
from __future__ import annotations

from typing import Any

from ...errors import EdgeqError
from .apply import TensorRanges, apply_ranges, constraint_violations
from .methods import METHODS
from .observers import SampleSource, collect_statistics

__all__ = ["activation_ranges", "ranges_from_stats", "apply_ranges", "constraint_violations", "METHODS", "TensorRanges"]


def activation_ranges(float_model: bytes, samples: SampleSource, method: str = "minmax", *,
                      percentile: float = 99.99, progress: bool = False,
                      keep_inputs: bool = True) -> TensorRanges:
    """``{float-model tensor index: (min, max)}`` for every activation, computed with ``method``.

    ``samples``: an iterable (or a callable returning one) of lists of float32 arrays,
    one batch-1 array per model input. Model inputs keep their observed min/max
    unless ``keep_inputs`` is False: clipping the raw input loses information no
    later layer can recover, and the input range is what users quantize their data with.
    """
    if method not in METHODS:
        raise EdgeqError(f"unknown calibration method '{method}': choose one of {', '.join(METHODS)}")
    if not 50.0 < percentile <= 100.0:
        raise EdgeqError(f"percentile {percentile} is out of range: give a value in (50, 100], e.g. 99.99")
    stats, names = collect_statistics(float_model, samples, progress=progress)
    return ranges_from_stats(float_model, stats, names, method, percentile=percentile, keep_inputs=keep_inputs)


def ranges_from_stats(float_model: bytes, stats: dict, names: dict, method: str, *, percentile: float = 99.99,
                      keep_inputs: bool = True) -> TensorRanges:
    """The ranges ``method`` gives for statistics already collected (see :func:`activation_ranges`).

    Softmax inputs (logits) keep their observed min/max whatever the method: a softmax is made of
    its largest inputs, the upper tail every clipping method cuts first (ResNet50's logits clipped
    by 1 of 14 lost 5 dB on the probabilities)."""
    from ...tflite_schema import read_model
    model = read_model(float_model)
    inputs = set(int(i) for i in model.subgraphs[0].inputs) if keep_inputs else set()
    whole = inputs | softmax_inputs(model)
    fn = METHODS[method]
    kw: dict[str, Any] = {"percentile": percentile} if method == "percentile" else {}
    ranges = TensorRanges(names=names)
    for i, st in stats.items():
        if st.count == 0:
            continue
        ranges[i] = METHODS["minmax"](st) if i in whole else fn(st, **kw)
    return ranges


#: ops whose output is dominated by their largest input values
_SOFTMAX_OPS = ("SOFTMAX", "LOG_SOFTMAX")


def softmax_inputs(model: Any) -> set[int]:
    """Tensor indices (main subgraph) that feed a SOFTMAX or LOG_SOFTMAX of a read model."""
    from ...tflite_schema import op_name
    return {int(op.inputs[0]) for op in model.subgraphs[0].operators or []
            if op_name(model, op) in _SOFTMAX_OPS and op.inputs is not None and len(op.inputs)}
