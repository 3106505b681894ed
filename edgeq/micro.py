"""Run integer models on TensorFlow Lite for Microcontrollers (the ``tflite-micro`` pip package).

TFLM is the interpreter that runs on Cortex-M and ESP32 boards; running the same
model here shows it fits TFLM's op set and gives the same integers as LiteRT.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import EdgeqError

DEFAULT_ARENA = 64 * 1024
MAX_ARENA = 256 * 1024 * 1024


class MicroInterpreter:
    """A TFLM interpreter with the smallest power-of-two arena that fits the model."""

    def __init__(self, model: bytes, arena_size: int | None = None):
        try:
            from tflite_micro.python.tflite_micro import runtime
        except ImportError:
            raise EdgeqError("TFLite Micro is not installed: pip install --pre tflite-micro") from None
        size = arena_size or DEFAULT_ARENA
        last = None
        while size <= MAX_ARENA:
            try:
                self._interp = runtime.Interpreter.from_bytes(bytes(model), arena_size=size)
                self.arena_size = size
                break
            except (RuntimeError, ValueError) as e:
                last = e
                if arena_size:  # the caller asked for exactly this size
                    raise EdgeqError(f"model does not fit a {arena_size}-byte TFLM arena: {e}") from None
                size *= 2
        else:
            raise EdgeqError(f"TFLite Micro cannot load the model: {str(last).splitlines()[0] if last else '?'}")
        from .tflite_schema import read_model

        sg = read_model(bytes(model)).subgraphs[0]
        self.num_inputs, self.num_outputs = len(sg.inputs), len(sg.outputs)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run once on inputs already in the model's storage type."""
        for i, x in enumerate(inputs):
            self._interp.set_input(np.ascontiguousarray(x), i)
        self._interp.invoke()
        return [np.array(self._interp.get_output(i)) for i in range(self.num_outputs)]

    def reset(self) -> None:
        self._interp.reset()
