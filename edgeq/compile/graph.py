"""A .tflite model read into the plain form the compiler works on: tensors and ops in order.

Only what ahead-of-time compilation needs is kept: static shapes, types, quantization,
constant data as numpy arrays, builtin options, and the layer name of each op (for errors).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from ..layer_names import op_layer_names
from ..tflite_schema import op_name, read_model, tensor_name, tensor_type_names

#: TFLite TensorType code -> numpy dtype of the types the compiler handles
_DTYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8, 17: "int4"}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                      # "int8", "int4", "int32", "float32", ...
    scale: np.ndarray | None        # float32 scales (one, or one per channel)
    zero_point: np.ndarray | None
    quantized_dim: int
    data: np.ndarray | None         # constant data (int4 unpacked to int8 values), None for activations
    is_input: bool = False
    is_output: bool = False

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        width = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4, "int64": 8}.get(self.dtype, 1)
        return self.size * width

    @property
    def is_const(self) -> bool:
        return self.data is not None

    def qparams(self) -> tuple[float, int]:
        """Per-tensor (scale, zero_point) as float32-exact Python numbers."""
        if self.scale is None or self.scale.size == 0:
            raise ModelError(f"tensor '{self.name}' has no quantization: the compiler needs a fully-integer "
                             "model (edgeq convert MODEL -o OUT.tflite)")
        return float(self.scale[0]), int(self.zero_point[0]) if self.zero_point is not None and \
            self.zero_point.size else 0


@dataclass
class Op:
    index: int
    kind: str                  # builtin name, e.g. "CONV_2D"
    inputs: list[int]          # tensor indices, -1 for an omitted optional input
    outputs: list[int]
    options: Any               # the schema's builtin options object (or None)
    layer: str


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    description: str = ""
    extra: dict = field(default_factory=dict)

    def t(self, i: int) -> Tensor:
        return self.tensors[i]


def _unpack_int4(raw: bytes, count: int) -> np.ndarray:
    b = np.frombuffer(raw, np.uint8)
    lo = ((b & 0x0F).astype(np.int8) << 4) >> 4
    hi = b.astype(np.int8) >> 4
    out = np.empty(b.size * 2, np.int8)
    out[0::2], out[1::2] = lo, hi
    return out[:count]


def read_graph(data: bytes, source: str = "model") -> Graph:
    """Parse and check a .tflite model: one subgraph, static shapes, constant data in the file."""
    model = read_model(data, source)
    if len(model.subgraphs) != 1:
        raise ModelError(f"{source} has {len(model.subgraphs)} subgraphs: the compiler handles single-subgraph "
                         "models (no control flow); convert the model without WHILE/IF")
    sg = model.subgraphs[0]
    types = tensor_type_names()
    tensors: list[Tensor] = []
    for i, t in enumerate(sg.tensors):
        dtype_code = int(t.type)
        dtype = "int4" if dtype_code == 17 else types.get(dtype_code, f"type{dtype_code}")
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
        sig = t.shapeSignature
        if sig is not None and any(int(d) < 0 for d in sig[1:]):
            raise ModelError(f"{source}: tensor '{tensor_name(t)}' has a dynamic shape {list(sig)}: the compiler "
                             "plans memory ahead of time and needs static shapes; re-export with fixed sizes")
        q = t.quantization
        scale = zp = None
        qdim = 0
        if q is not None and q.scale is not None and len(q.scale):
            scale = np.asarray(q.scale, np.float32)
            zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0] * len(q.scale), np.int64)
            qdim = int(q.quantizedDimension or 0)
        const = None
        buf = model.buffers[t.buffer] if t.buffer is not None and t.buffer < len(model.buffers) else None
        if buf is not None and buf.data is not None and len(buf.data):
            raw = bytes(bytearray(buf.data))
            n = 1
            for d in shape:
                n *= d
            if dtype == "int4":
                const = _unpack_int4(raw, n).reshape(shape)
            elif dtype_code in _DTYPES:
                const = np.frombuffer(raw, _DTYPES[dtype_code]).copy().reshape(shape)
            elif dtype.startswith("float") or dtype.startswith("bfloat"):  # a zoo file's fp16 weights
                raise ModelError(f"{source}: constant tensor '{tensor_name(t)}' is {dtype}: edgeq compile takes a "
                                 "fully-integer model; convert it first (edgeq convert MODEL --data SAMPLES -o "
                                 "MODEL_int8.tflite)")
            else:
                raise ModelError(f"{source}: constant tensor '{tensor_name(t)}' has type {dtype}, which the "
                                 "compiler does not read")
        elif buf is not None and buf.offset:
            raise ModelError(f"{source} keeps constant data outside the flatbuffer (a >2 GB model layout): "
                             "the compiler reads only self-contained models")
        tensors.append(Tensor(i, tensor_name(t), shape, dtype, scale, zp, qdim, const))
    for i in sg.inputs:
        tensors[i].is_input = True
    for i in sg.outputs:
        tensors[i].is_output = True
    layers = op_layer_names(model)
    ops = []
    for k, o in enumerate(sg.operators):
        ops.append(Op(k, op_name(model, o), [int(i) for i in o.inputs], [int(i) for i in o.outputs],
                      o.builtinOptions, layers[k] if k < len(layers) else f"op{k}"))
    desc = model.description.decode("utf-8", "replace") if isinstance(model.description, bytes) else \
        (model.description or "")
    return Graph(tensors, ops, [int(i) for i in sg.inputs], [int(i) for i in sg.outputs], desc)


#: inputs that only carry a shape (ignored: the compiler knows every shape statically)
SHAPE_INPUTS = {"RESHAPE": (1,)}


def prune(g: Graph) -> list[Op]:
    """Drop ops whose results nothing needs: shape arithmetic (SHAPE, STRIDED_SLICE, PACK) that only
    feeds RESHAPE's shape input, and dead branches. Returns the ops dropped; the kept ones are
    renumbered in order."""
    needed = set(g.outputs)
    keep: list[Op] = []
    for op in reversed(g.ops):
        if not any(t in needed for t in op.outputs):
            continue
        keep.append(op)
        skip = SHAPE_INPUTS.get(op.kind, ())
        needed.update(t for i, t in enumerate(op.inputs) if t >= 0 and i not in skip)
    keep.reverse()
    dropped = [op for op in g.ops if op not in keep]
    for i, op in enumerate(keep):
        op.index = i
    g.ops = keep
    return dropped
