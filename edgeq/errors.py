"""User-facing errors.

An ``EdgeqError`` is a mistake in what the user gave us (a path, a model, data,
a device). The CLI prints its one-line message and exits non-zero, without a
traceback. Anything else is a bug in edgeq and keeps its traceback.
"""
from __future__ import annotations


class EdgeqError(Exception):
    """An error caused by user input; ``str(e)`` is the one line shown to the user.

    Messages say what went wrong *and* what to do about it, e.g.
    ``calibration data 'x.npy' has shape (10, 5), model input 'image' needs (N, 28, 28, 1):
    reshape the array or pass the right file``.
    """

    exit_code = 2


class ModelError(EdgeqError):
    """The model file is missing, corrupt, or cannot be converted."""


class DataError(EdgeqError):
    """Calibration or evaluation data is missing, malformed or does not fit the model."""


class NotIntegerError(EdgeqError):
    """Strict conversion found ops that would stay in floating point."""

    def __init__(self, message: str, ops: list[dict]):
        super().__init__(message)
        self.ops = ops


class RuntimeNotFoundError(EdgeqError):
    """No TFLite runtime (ai-edge-litert, tflite-runtime, tensorflow) is importable."""


class DelegateError(EdgeqError):
    """A delegate library is missing or refused to load."""
