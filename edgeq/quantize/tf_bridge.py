"""The TensorFlow side of the quantize stage: TFLite's calibrator, its MLIR quantizer and its 16x8 path.

The float model runs over the calibration samples (TFLite's calibrator records
each tensor's range); the stage may then replace those ranges with better ones
(``edgeq.quantize.calibration``); TFLite's MLIR quantizer finally rewrites the model
with int8 activations, per-channel int8 weights and int32 biases, so the result
respects every constraint of the stock kernels. Everything that imports
TensorFlow for quantization is here.
"""
from __future__ import annotations

import contextlib
import io
from typing import Iterable, Sequence

import numpy as np

from ..datasets import Samples
from ..errors import EdgeqError, ModelError
from ..progress import progress
from .tf_errors import captured_output, explain

IO_TYPES = ("int8", "uint8", "float")


def calibrate(float_model: bytes, samples: Samples | Iterable[Sequence[np.ndarray]], *,
              show_progress: bool = False) -> bytes:
    """TFLite's calibration: record min/max of every tensor over ``samples``.

    ``samples``: a :class:`Samples`, or any re-iterable of per-sample lists of arrays (one per input).
    """
    from tensorflow.lite.python.optimize import calibrator

    if runs_custom_ops(float_model):
        from .calibration.record import record_minmax

        return record_minmax(float_model, samples, progress=show_progress)
    total = len(samples) if hasattr(samples, "__len__") else None
    # samples are float32; an integer or bool input (token ids, a mask) takes its own type, as the runtime's does
    want = [d if d.kind in "biu" else np.dtype(np.float32) for d in _input_dtypes(float_model)]

    def gen():
        for x in progress(samples, total=total, desc="calibrating", show=show_progress):
            if isinstance(x, np.ndarray):
                x = [x]
            yield [np.ascontiguousarray(a, dtype=want[i] if i < len(want) else np.float32) for i, a in enumerate(x)]

    printed = None
    try:
        with captured_output() as printed, contextlib.redirect_stdout(io.StringIO()):
            return calibrator.Calibrator(float_model).calibrate(gen)
    except EdgeqError:
        raise
    except Exception as e:  # noqa: BLE001 - TF raises RuntimeError/ValueError/ConverterError
        raise ModelError(explain("calibrator", float_model, e, printed.text if printed else "")) from None


def _input_dtypes(float_model: bytes) -> list:
    """The numpy dtype of each model input, in order."""
    from ..tflite_schema import read_model
    sg = read_model(float_model).subgraphs[0]
    return [np.dtype(_NP.get(int(sg.tensors[i].type), np.float32)) for i in sg.inputs]


#: TFLite TensorType -> numpy, for inputs (tflite schema: FLOAT32 0, INT32 2, UINT8 3, INT64 4, BOOL 6, INT16 7,
#: INT8 9)
_NP = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 9: np.int8}


def runs_custom_ops(float_model: bytes) -> bool:
    """Whether the model has custom ops, all of which edgeq's interpreter runs (TFLite's calibrator runs none)."""
    from ..runtime import MEDIAPIPE_CUSTOM_OPS
    from ..zoo_tflite import custom_ops

    ops = custom_ops(float_model)
    return bool(ops) and all(o.code in MEDIAPIPE_CUSTOM_OPS for o in ops)


def mlir_quantize(calibrated: bytes, *, io: str = "int8", per_tensor: bool = False,
                  denylisted_nodes: Sequence[str] | None = None, denylisted_ops: Sequence[str] | None = None) -> bytes:
    """Rewrite a calibrated model with integer tensors.

    ``denylisted_nodes`` (tensor names) and ``denylisted_ops`` (op types, e.g. ``SUB``) stay
    float: ``--allow-float``, the budget ladder and sensitivity analysis keep ops float with them.
    """
    import tensorflow as tf
    from tensorflow.lite.python import convert as tf_convert

    if io not in IO_TYPES:
        raise EdgeqError(f"--io {io} is not supported: choose one of {', '.join(IO_TYPES)}")
    from tensorflow.lite.python.util import modify_model_io_type

    # With fully_quantize the MLIR quantizer always emits int8 edges; without it, float edges
    # (QUANTIZE/DEQUANTIZE at the I/O) and it may leave inner ops float, which our strict check
    # catches either way. uint8 edges are swapped in afterwards, as TFLiteConverter does.
    full = io == "int8"
    io_type = tf.int8 if full else tf.float32
    printed = None
    try:
        with captured_output() as printed:
            model = tf_convert.mlir_quantize(calibrated, disable_per_channel=per_tensor, fully_quantize=full,
                                             input_data_type=io_type, output_data_type=io_type,
                                             denylisted_nodes=list(denylisted_nodes) if denylisted_nodes else None,
                                             denylisted_ops=list(denylisted_ops) if denylisted_ops else None)
            if io == "uint8":
                model = modify_model_io_type(model, tf.uint8, tf.uint8)
            return model
    except Exception as e:  # noqa: BLE001
        raise ModelError(explain("quantizer", calibrated, e, printed.text if printed else "")) from None


def quantize_16x8(float_model: bytes, samples: Samples, *, io: str = "int16", per_tensor: bool = False,
                  show_progress: bool = False) -> bytes:
    """int16 activations with int8 weights (TFLite's 16x8 mode) for the whole model.

    TFLite only offers this through its older quantizer, which calibrates and quantizes
    in one call; biases are int64 as its 16x8 kernels expect.
    """
    import tensorflow as tf
    from tensorflow.lite.python.optimize import calibrator

    io_type = {"int16": tf.int16, "float": tf.float32}.get(io)
    if io_type is None:
        raise EdgeqError(f"--io {io} does not go with int16 activations: use --io int16 or --io float")

    def gen():
        for x in progress(samples, total=len(samples), desc="calibrating (16x8)", show=show_progress):
            yield [np.ascontiguousarray(a, dtype=np.float32) for a in x]

    printed = None
    try:
        with captured_output() as printed:
            return calibrator.Calibrator(float_model).calibrate_and_quantize(
                gen, io_type, io_type, False, activations_type=tf.int16, bias_type=tf.int64,
                disable_per_channel=per_tensor)
    except Exception as e:  # noqa: BLE001
        raise ModelError(explain("16x8 quantizer", float_model, e, printed.text if printed else "")) from None
