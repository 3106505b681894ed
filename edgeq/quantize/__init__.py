"""The quantize stage: a float TFLite model and calibration data → an integer TFLite model."""
