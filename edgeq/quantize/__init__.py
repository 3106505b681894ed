"""The quantize stage: a float TFLite model and calibration data → an integer TFLite model.

``stage`` runs the steps in order; ``graph_rewrites``, ``equalize`` and
``weight_clipping`` change the float graph first; ``calibration`` chooses
activation ranges; ``tf_bridge`` is TensorFlow's calibrator and quantizer;
``bias_correction`` fixes the integer model's biases afterwards.
"""
from __future__ import annotations

__all__ = ["quantize_stage", "calibrate_stage", "QuantizeResult", "Calibrated"]


def __getattr__(name: str):
    # Lazy: edgeq.options reads the method tables of this package without loading the stage.
    if name in __all__:
        from . import stage

        return getattr(stage, name)
    raise AttributeError(f"module 'edgeq.quantize' has no attribute {name!r}")
