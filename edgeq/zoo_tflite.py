"""Make a float ``.tflite`` from a model zoo ready to quantize, without changing what it computes.

Zoo files (the mediapipe wheel's, for one) are "float" models that store their weights
as fp16 (or int8, or sparse) constants behind ``DEQUANTIZE`` / ``DENSIFY`` ops, and
may use custom ops. TFLite's calibrator and quantizer want plain float32 constants and
builtin ops, so before anything else this module:

* folds ``DENSIFY`` of a constant sparse tensor into a dense constant,
* folds ``DEQUANTIZE`` of a constant (fp16, or int8/uint8 weight-only with its scales)
  into a float32 constant,
* decomposes the custom ops that have an exact builtin equivalent
  (mediapipe's ``Convolution2DTransposeBias`` → ``TRANSPOSE_CONV`` with its bias),
* drops the tensors and buffers nothing uses any more.

Every change is exact: the folded constants are the values the runtime would compute.
What remains custom is listed (:func:`custom_ops`), so errors can name it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from .quantize.graph_rewrites import prune_unused
from .tflite_schema import op_name, read_model, schema, tensor_name, tensor_type_names, write_model

#: TensorType name → numpy dtype of the constants this module reads
_NP = {"float32": np.float32, "float16": np.float16, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
       "int32": np.int32}


@dataclass(frozen=True)
class CustomOp:
    """A custom op left in the model: where it is and what it makes."""

    index: int
    code: str
    output: str  # its first output tensor's name


def _const_value(model: Any, t: Any) -> np.ndarray | None:
    """The constant data behind tensor ``t`` (dense layout as stored), or None for activations."""
    if t.buffer is None or t.buffer <= 0 or t.buffer >= len(model.buffers):
        return None
    data = model.buffers[t.buffer].data
    if data is None or len(data) == 0:
        return None
    ty = tensor_type_names().get(t.type)
    if ty not in _NP:
        return None
    return np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtype=_NP[ty])


def _set_const(model: Any, t: Any, value: np.ndarray, type_name: str) -> None:
    """Give tensor ``t`` its own buffer holding ``value`` (row-major), typed ``type_name``."""
    s = schema()
    buf = s.BufferT()
    buf.data = np.frombuffer(np.ascontiguousarray(value).tobytes(), np.uint8)
    model.buffers.append(buf)
    t.buffer = len(model.buffers) - 1
    t.type = getattr(s.TensorType, type_name.upper())
    t.shape = np.array(value.shape, np.int32)
    t.sparsity = None
    t.quantization = None


def _vector(v: Any) -> np.ndarray:
    """A sparsity index vector (Int32/Uint16/Uint8VectorT) as an int64 array."""
    return np.asarray(v.values if v is not None and v.values is not None else [], np.int64)


def densify(values: np.ndarray, shape: tuple[int, ...], sparsity: Any) -> np.ndarray:
    """The dense array that a TFLite sparse tensor (``SparsityParametersT``) encodes.

    Levels follow ``traversalOrder`` (original dims, then block dims); a DENSE level
    spans ``denseSize`` positions per parent, a SPARSE_CSR level lists the present
    coordinates of each parent between ``arraySegments[p]`` and ``arraySegments[p+1]``.
    The stored values are the leaves in traversal order.
    """
    order = [int(d) for d in sparsity.traversalOrder]
    block_map = [int(d) for d in (sparsity.blockMap if sparsity.blockMap is not None else [])]
    n = len(shape)
    meta = list(sparsity.dimMetadata)
    pos = np.zeros(1, np.int64)  # position of each node in the current level
    coords = np.zeros((1, len(order)), np.int64)  # its coordinate on every expanded dim
    dense_format = schema().DimensionType.DENSE
    for level, dim in enumerate(order):
        md = meta[level]
        if md.format == dense_format:
            size = int(md.denseSize)
            child = np.arange(size, dtype=np.int64)
            new_pos = (pos[:, None] * size + child[None, :]).ravel()
            parent = np.repeat(np.arange(len(pos)), size)
            coord = np.tile(child, len(pos))
        else:
            seg, idx = _vector(md.arraySegments), _vector(md.arrayIndices)
            counts = seg[pos + 1] - seg[pos]
            parent = np.repeat(np.arange(len(pos)), counts)
            starts = np.repeat(seg[pos], counts)
            new_pos = starts + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
            coord = idx[new_pos]
        coords = coords[parent]
        coords[:, dim] = coord
        pos = new_pos
    dense = np.zeros(shape, values.dtype)
    index = []
    for d in range(n):
        c = coords[:, d]
        if d in block_map:
            j = block_map.index(d)
            block = next(int(meta[lv].denseSize) for lv, e in enumerate(order) if e == n + j)
            c = c * block + coords[:, n + j]
        index.append(c)
    dense[tuple(index)] = values[pos]
    return dense


def _dequantized(model: Any, t: Any, raw: np.ndarray) -> np.ndarray:
    """float32 values of a constant DEQUANTIZE input: fp16 cast, or (q - zero point) * scale."""
    shape = tuple(int(d) for d in t.shape)
    ty = tensor_type_names().get(t.type)
    if ty == "float16":
        return raw.reshape(shape).astype(np.float32)
    q = t.quantization
    scale = np.asarray(q.scale, np.float64)
    zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else np.zeros_like(scale), np.float64)
    x = raw.reshape(shape).astype(np.float64)
    if scale.size > 1:  # per channel along quantizedDimension
        axis = int(q.quantizedDimension or 0)
        bshape = [1] * len(shape)
        bshape[axis] = scale.size
        scale, zp = scale.reshape(bshape), zp.reshape(bshape)
    return ((x - zp) * scale).astype(np.float32)


def _fold_constants(model: Any) -> dict[str, int]:
    """Fold DENSIFY and DEQUANTIZE ops whose input is a constant; returns how many of each."""
    sg = model.subgraphs[0]
    types = tensor_type_names()
    done = {"dequantize": 0, "densify": 0}
    changed = True
    while changed:
        changed = False
        keep = []
        for op in sg.operators:
            name = op_name(model, op)
            if name in ("DENSIFY", "DEQUANTIZE") and len(op.inputs) == 1:
                src, dst = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
                raw = _const_value(model, src)
                if raw is not None and int(op.outputs[0]) not in set(sg.outputs):
                    if name == "DENSIFY" and src.sparsity is not None:
                        shape = tuple(int(d) for d in src.shape)
                        _set_const(model, dst, densify(raw, shape, src.sparsity), types[src.type])
                        dst.quantization = src.quantization
                        done["densify"] += 1
                        changed = True
                        continue
                    if name == "DEQUANTIZE" and src.sparsity is None and (
                            types.get(src.type) == "float16" or (src.quantization is not None
                                                                 and src.quantization.scale is not None
                                                                 and len(src.quantization.scale))):
                        _set_const(model, dst, _dequantized(model, src, raw), "float32")
                        done["dequantize"] += 1
                        changed = True
                        continue
            keep.append(op)
        sg.operators = keep
    return {k: v for k, v in done.items() if v}


def _builtin_index(model: Any, builtin: int, version: int) -> int:
    s = schema()
    for i, oc in enumerate(model.operatorCodes):
        if max(int(oc.builtinCode or 0), int(oc.deprecatedBuiltinCode or 0)) == builtin and oc.version == version:
            return i
    oc = s.OperatorCodeT()
    oc.builtinCode = builtin
    oc.deprecatedBuiltinCode = min(builtin, 127)
    oc.version = version
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def _transpose_conv_bias(model: Any, sg: Any, op: Any) -> bool:
    """mediapipe ``Convolution2DTransposeBias(input, weights OHWI, bias)`` → ``TRANSPOSE_CONV``.

    Its options are three int32 (padding: 1 SAME, 2 VALID; stride w; stride h); its output
    size is ``stride * (in - 1) + filter - pad_total`` with SAME's ``pad_total = max(0,
    filter - (in - 1) % stride - 1)``, the top/left pad ``pad_total // 2`` — which is what
    TRANSPOSE_CONV computes from that output size, so the result is the same.
    """
    s = schema()
    opts = bytes(np.asarray(op.customOptions, np.uint8)) if op.customOptions is not None else b""
    if len(op.inputs) != 3 or len(opts) < 12:
        return False
    padding, stride_w, stride_h = struct.unpack("<3i", opts[:12])
    x, w, b = (int(i) for i in op.inputs)
    out = sg.tensors[int(op.outputs[0])]
    if out.shape is None or len(out.shape) != 4 or _const_value(model, sg.tensors[w]) is None:
        return False
    shape_t = len(sg.tensors)
    t = s.TensorT()
    t.name = (tensor_name(out) + "/output_shape").encode()
    sg.tensors.append(t)
    _set_const(model, t, np.array(out.shape, np.int32), "int32")
    op.opcodeIndex = _builtin_index(model, s.BuiltinOperator.TRANSPOSE_CONV, 3)  # v3: with bias
    op.inputs = np.array([shape_t, w, x, b], np.int32)
    o = s.TransposeConvOptionsT()
    o.padding = s.Padding.SAME if padding == 1 else s.Padding.VALID
    o.strideW, o.strideH = stride_w, stride_h
    o.fusedActivationFunction = s.ActivationFunctionType.NONE
    op.builtinOptionsType = s.BuiltinOptions.TransposeConvOptions
    op.builtinOptions = o
    op.customOptions = None
    return True


#: custom op code → exact builtin decomposition (returns False when the op's form is not the known one)
DECOMPOSITIONS = {"Convolution2DTransposeBias": _transpose_conv_bias}


def _decompose_custom(model: Any) -> dict[str, int]:
    sg = model.subgraphs[0]
    done: dict[str, int] = {}
    for op in sg.operators:
        name = op_name(model, op)
        if name.startswith("CUSTOM:"):
            code = name[len("CUSTOM:"):]
            fn = DECOMPOSITIONS.get(code)
            if fn is not None and fn(model, sg, op):
                done[code] = done.get(code, 0) + 1
    return done


def prepare(data: bytes) -> tuple[bytes, dict[str, Any]]:
    """``data`` with constant DEQUANTIZE/DENSIFY folded and known custom ops decomposed.

    Returns the model (the same bytes when nothing applied) and what was done:
    ``{"folded": {"dequantize": n, "densify": n}, "decomposed": {code: n}}``.
    """
    m = read_model(data)
    folded = _fold_constants(m)
    decomposed = _decompose_custom(m)
    if not folded and not decomposed:
        return data, {}
    prune_unused(m)
    done: dict[str, Any] = {}
    if folded:
        done["folded"] = folded
    if decomposed:
        done["decomposed"] = decomposed
    return write_model(m), done


def custom_ops(data: bytes) -> list[CustomOp]:
    """The custom ops of the main subgraph, in execution order."""
    m = read_model(data)
    sg = m.subgraphs[0]
    out = []
    for k, op in enumerate(sg.operators):
        name = op_name(m, op)
        if name.startswith("CUSTOM:"):
            outs = [int(i) for i in op.outputs if i >= 0]
            out.append(CustomOp(k, name[len("CUSTOM:"):], tensor_name(sg.tensors[outs[0]]) if outs else ""))
    return out
