"""Reading and writing .tflite flatbuffers.

edgeq checks what a converter produced by reading the flatbuffer itself, never by
trusting the converter. The generated schema bindings ship inside LiteRT and
TensorFlow; we use whichever is installed.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from .errors import ModelError

TFLITE_IDENTIFIER = b"TFL3"


@lru_cache(maxsize=1)
def schema() -> Any:
    """The generated TFLite schema module (object API included)."""
    for name in ("ai_edge_litert.schema_py_generated", "tensorflow.lite.python.schema_py_generated"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ModelError("cannot read .tflite files: pip install ai-edge-litert (it ships the TFLite schema)")


@lru_cache(maxsize=1)
def builtin_names() -> dict[int, str]:
    """BuiltinOperator code → name, e.g. 3 → 'CONV_2D'."""
    ops = schema().BuiltinOperator
    return {v: k for k, v in vars(ops).items() if not k.startswith("_") and isinstance(v, int)}


@lru_cache(maxsize=1)
def tensor_type_names() -> dict[int, str]:
    """TensorType code → lower-case name, e.g. 9 → 'int8'."""
    tt = schema().TensorType
    return {v: k.lower() for k, v in vars(tt).items() if not k.startswith("_") and isinstance(v, int)}


def tensor_type_code(name: str) -> int:
    return getattr(schema().TensorType, name.upper())


def looks_like_tflite(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] == TFLITE_IDENTIFIER


def read_model(data: bytes, source: str = "model") -> Any:
    """Parse .tflite bytes into the schema's mutable object form (``ModelT``)."""
    if not looks_like_tflite(data):
        raise ModelError(f"{source} is not a TFLite flatbuffer (no 'TFL3' identifier): "
                         "give a .tflite file written by a TFLite converter")
    s = schema()
    try:
        return s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    except Exception as e:  # noqa: BLE001 - any decode failure means a corrupt file
        raise ModelError(f"{source} is corrupt or truncated ({type(e).__name__}): "
                         "re-export or re-download the model") from None


def write_model(model: Any) -> bytes:
    """Serialize a ``ModelT`` back to .tflite bytes."""
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=TFLITE_IDENTIFIER)
    return bytes(b.Output())


def op_name(model: Any, op: Any) -> str:
    """Builtin name (or custom code) of an operator in ``model``."""
    code = model.operatorCodes[op.opcodeIndex]
    builtin = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
    name = builtin_names().get(builtin, f"BUILTIN_{builtin}")
    if name == "CUSTOM":
        cc = code.customCode
        return "CUSTOM:" + (cc.decode() if isinstance(cc, bytes) else str(cc))
    return name


def tensor_name(t: Any) -> str:
    n = t.name
    return n.decode("utf-8", "replace") if isinstance(n, bytes) else (n or "")


def buffer_bytes(model: Any, tensor: Any) -> int:
    """Bytes of constant data behind a tensor (0 for activations)."""
    if tensor.buffer is None or tensor.buffer >= len(model.buffers):
        return 0
    buf = model.buffers[tensor.buffer]
    if buf.data is not None:
        return len(buf.data)
    return int(buf.size or 0)  # large models keep data outside the flatbuffer
