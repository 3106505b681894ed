"""Rewrites of the float TFLite graph that let more of it quantize, without changing its math.

TFLite's quantizer has no int8 rule for some ops that common layers emit. Each
rewrite here replaces such an op by an equivalent one the quantizer handles, so
that e.g. LayerNormalization converts fully integer instead of leaving a float
island. Every rewrite is exact in float.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..tflite_schema import op_name, read_model, schema, write_model


def _opcode_index(model: Any, builtin: int) -> int:
    s = schema()
    for i, oc in enumerate(model.operatorCodes):
        if max(int(oc.builtinCode or 0), int(oc.deprecatedBuiltinCode or 0)) == builtin:
            return i
    oc = s.OperatorCodeT()
    oc.builtinCode = builtin
    oc.deprecatedBuiltinCode = min(builtin, 127)
    oc.version = 1
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def _const_tensor(model: Any, sg: Any, value: np.ndarray, name: str) -> int:
    s = schema()
    buf = s.BufferT()
    buf.data = np.frombuffer(value.astype(np.float32).tobytes(), np.uint8)
    model.buffers.append(buf)
    t = s.TensorT()
    t.shape = np.array(value.shape, np.int32)
    t.type = s.TensorType.FLOAT32
    t.buffer = len(model.buffers) - 1
    t.name = name.encode()
    sg.tensors.append(t)
    return len(sg.tensors) - 1


def neg_to_mul(model: Any) -> int:
    """NEG(x) → MUL(x, -1): the quantizer has an int8 MUL but leaves NEG float (LayerNorm emits NEG)."""
    s = schema()
    count = 0
    for sg in model.subgraphs:
        minus_one = None
        for op in sg.operators:
            if op_name(model, op) != "NEG":
                continue
            if minus_one is None:
                minus_one = _const_tensor(model, sg, np.array([-1.0], np.float32), "edgeq/minus_one")
            op.opcodeIndex = _opcode_index(model, s.BuiltinOperator.MUL)
            op.inputs = np.array([int(op.inputs[0]), minus_one], np.int32)
            op.builtinOptionsType = s.BuiltinOptions.MulOptions
            opts = s.MulOptionsT()
            opts.fusedActivationFunction = s.ActivationFunctionType.NONE
            op.builtinOptions = opts
            count += 1
    return count


def squared_difference_to_mul(model: Any) -> int:
    """SQUARED_DIFFERENCE(a, b) → d = SUB(a, b); MUL(d, d): LiteRT has no int16 SQUARED_DIFFERENCE
    kernel (LayerNorm's variance uses it), but int16 SUB and MUL. The MUL keeps the output tensor."""
    s = schema()
    count = 0
    for sg in model.subgraphs:
        ops = []
        for op in sg.operators:
            if op_name(model, op) != "SQUARED_DIFFERENCE":
                ops.append(op)
                continue
            out = sg.tensors[int(op.outputs[0])]
            d = s.TensorT()
            d.name = (out.name.decode() if isinstance(out.name, bytes) else str(out.name)) + "/diff"
            d.name = d.name.encode()
            d.type = out.type
            d.shape = None if out.shape is None else np.array(out.shape, np.int32)
            d.shapeSignature = None if out.shapeSignature is None else np.array(out.shapeSignature, np.int32)
            d.buffer = 0
            sg.tensors.append(d)
            di = len(sg.tensors) - 1
            sub = s.OperatorT()
            sub.opcodeIndex = _opcode_index(model, s.BuiltinOperator.SUB)
            sub.inputs = np.array(op.inputs, np.int32)
            sub.outputs = np.array([di], np.int32)
            sub.builtinOptionsType = s.BuiltinOptions.SubOptions
            sub.builtinOptions = s.SubOptionsT()
            sub.builtinOptions.fusedActivationFunction = s.ActivationFunctionType.NONE
            mul = s.OperatorT()
            mul.opcodeIndex = _opcode_index(model, s.BuiltinOperator.MUL)
            mul.inputs = np.array([di, di], np.int32)
            mul.outputs = np.array(op.outputs, np.int32)
            mul.builtinOptionsType = s.BuiltinOptions.MulOptions
            mul.builtinOptions = s.MulOptionsT()
            mul.builtinOptions.fusedActivationFunction = s.ActivationFunctionType.NONE
            ops += [sub, mul]
            count += 1
        sg.operators = ops
    return count


def _activation_like(sg: Any, like: Any, suffix: str) -> int:
    """A new activation tensor shaped like ``like``, named after it."""
    s = schema()
    t = s.TensorT()
    name = like.name.decode() if isinstance(like.name, bytes) else str(like.name)
    t.name = (name + suffix).encode()
    t.type = like.type
    t.shape = None if like.shape is None else np.array(like.shape, np.int32)
    t.shapeSignature = None if like.shapeSignature is None else np.array(like.shapeSignature, np.int32)
    t.buffer = 0
    sg.tensors.append(t)
    return len(sg.tensors) - 1


def _binary(model: Any, builtin: int, a: int, b: int, out: int, act: int = 0) -> Any:
    s = schema()
    op = s.OperatorT()
    op.opcodeIndex = _opcode_index(model, builtin)
    op.inputs, op.outputs = np.array([a, b], np.int32), np.array([out], np.int32)
    kind = {s.BuiltinOperator.ADD: ("AddOptions", s.AddOptionsT), s.BuiltinOperator.MUL: ("MulOptions", s.MulOptionsT)}
    field_name, cls = kind[builtin]
    op.builtinOptionsType = getattr(s.BuiltinOptions, field_name)
    op.builtinOptions = cls()
    op.builtinOptions.fusedActivationFunction = act
    return op


def hard_swish_to_add_mul(model: Any) -> int:
    """HARD_SWISH(x) = x * relu6(x + 3) / 6 as ADD (fused RELU6), MUL, MUL: TFLite's 16x8 quantizer has
    no rule for HARD_SWISH (mediapipe's selfie segmentation, MobileNetV3), but int16 ADD and MUL."""
    s = schema()
    count = 0
    for sg in model.subgraphs:
        ops, consts = [], {}
        for op in sg.operators:
            if op_name(model, op) != "HARD_SWISH":
                ops.append(op)
                continue
            if not consts:
                consts = {v: _const_tensor(model, sg, np.array([v], np.float32), f"edgeq/hard_swish_{n}")
                          for v, n in ((3.0, "three"), (1.0 / 6.0, "sixth"))}
            x, out = int(op.inputs[0]), int(op.outputs[0])
            gate = _activation_like(sg, sg.tensors[out], "/relu6_x_plus_3")
            prod = _activation_like(sg, sg.tensors[out], "/x_times_gate")
            ops += [_binary(model, s.BuiltinOperator.ADD, x, consts[3.0], gate, s.ActivationFunctionType.RELU6),
                    _binary(model, s.BuiltinOperator.MUL, x, gate, prod),
                    _binary(model, s.BuiltinOperator.MUL, prod, consts[1.0 / 6.0], out)]
            count += 1
        sg.operators = ops
    return count


#: name → rewrite(model) returning how many places it changed
_NON_NEGATIVE = {"RELU", "RELU6"}  # ops, or fused activations, whose outputs are >= 0


def _non_negative(model: Any, sg: Any, tensor: int) -> bool:
    """Whether ``tensor`` is made by a RELU/RELU6 or by an op with one fused."""
    s = schema()
    fused = {s.ActivationFunctionType.RELU, s.ActivationFunctionType.RELU6}
    for op in sg.operators:
        if tensor in [int(i) for i in op.outputs]:
            act = getattr(op.builtinOptions, "fusedActivationFunction", None) if op.builtinOptions else None
            return op_name(model, op) in _NON_NEGATIVE or act in fused
    return False


def max_pool_pad_to_zero_pad(model: Any) -> int:
    """PADV2(x, v <= 0) feeding only MAX_POOL_2D → PAD(x) (zeros) when x >= 0: every pooling window holds a
    real value >= 0, so a zero border never wins, as v never does. PyTorch's padded max pooling
    exports with v = -inf (TFLite's quantizer crashes on it), onnx2tf's with the lowest float32 (the
    quantized model then fails XNNPACK's prepare)."""
    s = schema()
    count = 0
    for sg in model.subgraphs:
        for op in sg.operators:
            if op_name(model, op) != "PADV2" or len(op.inputs) < 3:
                continue
            value_t = sg.tensors[int(op.inputs[2])]
            data = model.buffers[value_t.buffer].data if value_t.buffer else None
            if data is None or len(data) != 4 or not np.frombuffer(bytes(data), np.float32)[0] <= 0:
                continue
            out = int(op.outputs[0])
            users = [u for u in sg.operators if out in [int(i) for i in u.inputs]]
            if not users or any(op_name(model, u) != "MAX_POOL_2D" for u in users) or out in set(sg.outputs):
                continue
            if not _non_negative(model, sg, int(op.inputs[0])):
                continue
            op.opcodeIndex = _opcode_index(model, s.BuiltinOperator.PAD)
            op.inputs = np.array([int(op.inputs[0]), int(op.inputs[1])], np.int32)
            op.builtinOptionsType = s.BuiltinOptions.PadOptions
            op.builtinOptions = s.PadOptionsT()
            count += 1
    return count


REWRITES: dict[str, Callable[[Any], int]] = {"neg_to_mul": neg_to_mul, "max_pool_pad_to_zero_pad": max_pool_pad_to_zero_pad}
#: rewrites for int16 activations only: their int8 form is less exact than the op they replace
INT16_REWRITES: dict[str, Callable[[Any], int]] = {"squared_difference_to_sub_mul": squared_difference_to_mul,
                                                   "hard_swish_to_add_mul": hard_swish_to_add_mul}


def drop_unused_opcodes(model: Any) -> None:
    """Remove operator codes no op uses (TFLite's calibrator fails on opcodes without ops)."""
    used = sorted({op.opcodeIndex for sg in model.subgraphs for op in sg.operators})
    remap = {old: new for new, old in enumerate(used)}
    model.operatorCodes = [model.operatorCodes[i] for i in used]
    for sg in model.subgraphs:
        for op in sg.operators:
            op.opcodeIndex = remap[op.opcodeIndex]


def prune_unused(model: Any) -> None:
    """Drop tensors no op, input, output or signature uses; then unused buffers and opcodes."""
    for sg in model.subgraphs:
        used = set(int(i) for i in sg.inputs) | set(int(i) for i in sg.outputs)
        for op in sg.operators:
            used |= {int(i) for i in op.inputs if i >= 0} | {int(i) for i in op.outputs if i >= 0}
            if op.intermediates is not None:
                used |= {int(i) for i in op.intermediates if i >= 0}
        keep = sorted(used)
        remap = {old: new for new, old in enumerate(keep)}
        sg.tensors = [sg.tensors[i] for i in keep]

        def fix(arr):
            return np.array([remap[int(i)] if i >= 0 else -1 for i in arr], np.int32)
        sg.inputs, sg.outputs = fix(sg.inputs), fix(sg.outputs)
        for op in sg.operators:
            op.inputs, op.outputs = fix(op.inputs), fix(op.outputs)
            if op.intermediates is not None:
                op.intermediates = fix(op.intermediates)
        if model.signatureDefs and model.subgraphs.index(sg) == 0:
            for sd in model.signatureDefs:
                for tm in list(sd.inputs or []) + list(sd.outputs or []):
                    tm.tensorIndex = remap[int(tm.tensorIndex)]
    used_buf = {0} | {int(t.buffer) for sg in model.subgraphs for t in sg.tensors if t.buffer is not None}
    used_buf |= {int(md.buffer) for md in (model.metadata or [])}
    keep_buf = sorted(b for b in used_buf if b < len(model.buffers))
    bremap = {old: new for new, old in enumerate(keep_buf)}
    model.buffers = [model.buffers[b] for b in keep_buf]
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.buffer is not None:
                t.buffer = bremap.get(int(t.buffer), 0)
    for md in model.metadata or []:
        md.buffer = bremap[int(md.buffer)]
    if model.metadataBuffer is not None:
        model.metadataBuffer = [bremap[int(b)] for b in model.metadataBuffer if int(b) in bremap]
    drop_unused_opcodes(model)


def apply_rewrites(float_model: bytes, rewrites: dict[str, Callable[[Any], int]] | None = None
                   ) -> tuple[bytes, dict[str, int]]:
    """Apply every rewrite (of ``rewrites``, default REWRITES); returns the new model and how
    often each fired (unchanged bytes if none)."""
    m = read_model(float_model)
    counts = {name: fn(m) for name, fn in (REWRITES if rewrites is None else rewrites).items()}
    if not any(counts.values()):
        return float_model, {}
    drop_unused_opcodes(m)
    return write_model(m), {k: v for k, v in counts.items() if v}
