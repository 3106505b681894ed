"""Reading and writing .tflite flatbuffers.

edgeq checks what a converter produced by reading the flatbuffer itself, never by
trusting the converter. The generated schema bindings ship inside LiteRT and
TensorFlow; we use whichever is installed.
"""
from __future__ import annotations

import importlib
import struct
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
        m = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    except Exception as e:  # noqa: BLE001 - any decode failure means a corrupt file
        # a cut or damaged file makes the flatbuffer reader's offsets point past its end (struct.error, which
        # the message used to show as "(error)")
        why = ("an offset points outside the file" if isinstance(e, (struct.error, IndexError))
               else f"{type(e).__name__}: {str(e).strip()[:80]}".rstrip(": "))
        raise ModelError(f"{source} is corrupt or truncated ({why}): re-export or re-download the model") from None
    why = structure_problem(m)
    if not why:  # absent vectors read as None: every reader may iterate them
        m.operatorCodes, m.buffers = m.operatorCodes or [], m.buffers or []
        for sg in m.subgraphs:
            sg.tensors, sg.operators = sg.tensors or [], sg.operators or []
            sg.inputs = sg.inputs if sg.inputs is not None else []
            sg.outputs = sg.outputs if sg.outputs is not None else []
    if why:
        raise ModelError(f"{source} is corrupt or truncated ({why}): re-export or re-download the model")
    return m


def structure_problem(m: Any) -> str | None:
    """What makes a parsed model unusable (an index out of range, a missing table), or None.

    Everything edgeq reads by index is checked here once, so a damaged file is refused in one line
    instead of failing deep inside whatever reads it first."""
    subgraphs = m.subgraphs or []
    if not subgraphs:
        return "no subgraph"
    codes, buffers = m.operatorCodes or [], m.buffers or []
    types = set(tensor_type_names())
    for c in codes:
        if max(int(c.builtinCode or 0), int(c.deprecatedBuiltinCode or 0)) not in builtin_names():
            return f"unknown builtin operator code {max(int(c.builtinCode or 0), int(c.deprecatedBuiltinCode or 0))}"
    for si, sg in enumerate(subgraphs):
        tensors = sg.tensors or []
        for ti, t in enumerate(tensors):
            if t.type not in types:
                return f"tensor {ti} of subgraph {si} has unknown type {t.type}"
            if t.buffer is not None and not 0 <= t.buffer < max(len(buffers), 1):
                return f"tensor {ti} of subgraph {si} names buffer {t.buffer} of {len(buffers)}"
            for d in list(t.shape if t.shape is not None else []) + list(t.shapeSignature if t.shapeSignature is not None else []):
                if not -1 <= int(d) <= 1 << 31:
                    return f"tensor {ti} of subgraph {si} has dimension {int(d)}"
            q = t.quantization
            n_scale = len(q.scale) if q is not None and q.scale is not None else 0
            n_zp = len(q.zeroPoint) if q is not None and q.zeroPoint is not None else 0
            if n_zp and n_zp != n_scale:  # TFLite's own rule: one zero point per scale
                return f"tensor {ti} of subgraph {si} has {n_scale} scales but {n_zp} zero points"
        for what in ("inputs", "outputs"):
            for i in getattr(sg, what) if getattr(sg, what) is not None else []:
                if not 0 <= i < len(tensors):
                    return f"subgraph {si} {what[:-1]} {i} is not one of its {len(tensors)} tensors"
        for oi, op in enumerate(sg.operators or []):
            if not 0 <= op.opcodeIndex < len(codes):
                return f"operator {oi} of subgraph {si} names operator code {op.opcodeIndex} of {len(codes)}"
            for i in list(op.inputs if op.inputs is not None else []) + list(op.outputs if op.outputs is not None else []):
                if not -1 <= i < len(tensors):
                    return f"operator {oi} of subgraph {si} names tensor {i} of {len(tensors)}"
    for md in m.metadata or []:
        if not 0 <= md.buffer < len(buffers):
            return f"metadata names buffer {md.buffer} of {len(buffers)}"
    return None


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
        return "CUSTOM:" + (cc.decode("utf-8", "replace") if isinstance(cc, bytes) else str(cc))
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
