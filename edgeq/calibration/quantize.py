"""Full-integer quantization of a float TFLite model with edgeq's activation ranges.

The converter's quantization stage (``edgeq.quantize``: TFLite calibrator, edgeq range
override, MLIR quantizer) with the float-graph improvements around it, for tests,
benchmarks, sensitivity analysis and callers that already hold a float .tflite.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np

from ..quantize.calibration.apply import apply_ranges
from ..quantize.calibration.observers import SampleSource, iterate_samples


def calibrate(float_model: bytes, samples: SampleSource) -> bytes:
    """The float model with TFLite's own min/max recorded on every activation."""
    from ..quantize.tf_bridge import calibrate as core_calibrate

    return core_calibrate(float_model, list(iterate_samples(samples)))


def mlir_quantize(calibrated: bytes, *, per_tensor: bool = False, int8_io: bool = True,
                  denylisted_nodes: Sequence[str] | None = None) -> bytes:
    """The converter's quantizer on a calibrated model (int8 I/O unless ``int8_io`` is False)."""
    from ..quantize.tf_bridge import quantize

    return quantize(calibrated, io="int8" if int8_io else "float", per_tensor=per_tensor,
                    denylisted_nodes=denylisted_nodes)


def quantize_model(float_model: bytes, samples: SampleSource, method: str = "mse", *,
                   percentile: float = 99.99, per_tensor: bool = False, int8_io: bool = True,
                   ranges: Mapping[int, tuple[float, float]] | None = None, equalize: bool = False,
                   bias_correction: bool = False, weight_clipping: bool = False) -> bytes:
    """Full-integer model calibrated with ``method`` (``minmax`` is TFLite's own behaviour).

    ``equalize`` first applies cross-layer equalization to conv pairs (exact in float);
    ``weight_clipping`` clips conv/FC weights per channel to their MSE-optimal int8 range;
    ``bias_correction`` then removes the mean output error of each conv/FC on the samples.
    """
    from ..quantize.calibration import activation_ranges

    if equalize:
        if ranges is not None:
            raise ValueError("ranges belong to the model before equalization: pass one or the other")
        from ..quantize.equalize import equalize_cross_layer
        float_model, _ = equalize_cross_layer(float_model)
    if weight_clipping:
        if ranges is not None:
            raise ValueError("ranges belong to the model before weight clipping: pass one or the other")
        from ..quantize.weight_clipping import clip_model_weights
        float_model, _ = clip_model_weights(float_model)
    data = [s for s in iterate_samples(samples)]
    calibrated = calibrate(float_model, data)
    if ranges is None and method != "minmax":
        ranges = activation_ranges(float_model, data, method, percentile=percentile)
    if ranges:
        calibrated = apply_ranges(calibrated, ranges)
    quant = mlir_quantize(calibrated, per_tensor=per_tensor, int8_io=int8_io)
    if bias_correction:
        from ..quantize.bias_correction import correct_bias
        quant, _ = correct_bias(float_model, quant, data)
    return quant
