"""Per-layer int16 activations in an int8 model: islands joined by QUANTIZE ops.

TFLite's quantizers give a whole model int8 or int16 activations, never a mix. The
model format allows one, and LiteRT's QUANTIZE kernel converts int8↔int16 (and
requantizes int16→int16), so edgeq writes the mix itself from the two whole-model
quantizations of the same float model:

* the int8 model is the base;
* each op chosen for an island takes its tensor types, scales and constants (int8
  weights, int64 biases), and its op version, from the same op of the 16x8 model,
  found by output tensor name;
* where an island reads an int8 tensor, a QUANTIZE int8→int16 goes before it; where
  an int8 op (or a model output) reads an island's result, a QUANTIZE int16→int8
  goes after it, producing the int8 tensor the base had.

:func:`build_islands` then loads the result in LiteRT (builtin and reference kernels)
and drops from the islands each op whose int16 kernel refuses it, so every op left
in an island is one LiteRT runs.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .graph_rewrites import prune_unused
from ..tflite_schema import op_name, read_model, schema, tensor_name, tensor_type_names, write_model

_INT16 = "int16"
_SKIP = {"QUANTIZE", "DEQUANTIZE"}


@dataclass
class IslandResult:
    """The mixed model and what went into its islands."""

    model: bytes
    int16_ops: list[str]  # output tensor names of the ops that run int16
    refused: dict[str, str] = field(default_factory=dict)  # tensor name → why LiteRT refused its int16 op
    quantize_ops: int = 0  # QUANTIZE ops added at island borders


def _qparams(t: Any) -> tuple:
    q = t.quantization
    if q is None or q.scale is None:
        return ()
    return (tuple(np.asarray(q.scale, np.float64).round(12)), tuple(np.asarray(q.zeroPoint if q.zeroPoint is not None
                                                                               else [], np.int64)))


def _is_const(model: Any, t: Any) -> bool:
    b = model.buffers[t.buffer] if t.buffer is not None and 0 < t.buffer < len(model.buffers) else None
    return b is not None and b.data is not None and len(b.data) > 0


def _opcode(model: Any, src_model: Any, src_op: Any) -> int:
    """Index in ``model`` of ``src_op``'s opcode (builtin and version) in ``src_model``, added if missing."""
    oc = src_model.operatorCodes[src_op.opcodeIndex]
    for i, have in enumerate(model.operatorCodes):
        if (have.builtinCode, have.deprecatedBuiltinCode, have.version, have.customCode) == \
                (oc.builtinCode, oc.deprecatedBuiltinCode, oc.version, oc.customCode):
            return i
    model.operatorCodes.append(copy.deepcopy(oc))
    return len(model.operatorCodes) - 1


def _quantize_opcode(model: Any) -> int:
    s = schema()
    for i, oc in enumerate(model.operatorCodes):
        if max(int(oc.builtinCode or 0), int(oc.deprecatedBuiltinCode or 0)) == s.BuiltinOperator.QUANTIZE:
            return i
    oc = s.OperatorCodeT()
    oc.builtinCode = oc.deprecatedBuiltinCode = s.BuiltinOperator.QUANTIZE
    oc.version = 1
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def _add_tensor(sg: Any, like: Any, name: str) -> int:
    t = copy.deepcopy(like)
    t.name = name.encode()
    t.buffer = 0
    sg.tensors.append(t)
    return len(sg.tensors) - 1


def _copy_const(model: Any, sg: Any, src_model: Any, src: Any) -> int:
    """Copy constant tensor ``src`` of ``src_model`` (with its data) into ``model``."""
    t = copy.deepcopy(src)
    buf = copy.deepcopy(src_model.buffers[src.buffer])
    model.buffers.append(buf)
    t.buffer = len(model.buffers) - 1
    sg.tensors.append(t)
    return len(sg.tensors) - 1


def _quantize_op(model: Any, src: int, dst: int) -> Any:
    op = schema().OperatorT()
    op.opcodeIndex = _quantize_opcode(model)
    op.inputs = np.array([src], np.int32)
    op.outputs = np.array([dst], np.int32)
    return op


def splice(int8_model: bytes, int16_model: bytes, island: Iterable[str]) -> tuple[bytes, list[str], int]:
    """The int8 model with the ops whose output tensors are named in ``island`` taken from the
    16x8 model. Returns (model, the op outputs made int16, QUANTIZE ops added)."""
    base, other = read_model(int8_model), read_model(int16_model)
    sg, osg = base.subgraphs[0], other.subgraphs[0]
    types = tensor_type_names()
    by_out = {}
    for op in osg.operators:
        if op_name(other, op) not in _SKIP:
            for i in op.outputs:
                by_out[tensor_name(osg.tensors[i])] = op
    wanted = set(island)
    chosen = []  # (op index in base, matching 16x8 op)
    for k, op in enumerate(sg.operators):
        name = op_name(base, op)
        if name in _SKIP or not len(op.outputs):
            continue
        out = tensor_name(sg.tensors[op.outputs[0]])
        twin = by_out.get(out)
        if out in wanted and twin is not None and op_name(other, twin) == name and \
                len(twin.inputs) == len(op.inputs) and len(twin.outputs) == len(op.outputs) and \
                all(types.get(osg.tensors[i].type) == _INT16 for i in twin.outputs):
            chosen.append((k, twin))
    if not chosen:
        return int8_model, [], 0
    island_ops = {k for k, _ in chosen}
    names = [tensor_name(sg.tensors[int(sg.operators[k].outputs[0])]) for k, _ in chosen]
    consumers: dict[int, list[int]] = {}
    for k, op in enumerate(sg.operators):
        for i in op.inputs:
            if i >= 0:
                consumers.setdefault(int(i), []).append(k)
    model_outputs = {int(i) for i in sg.outputs}
    wide: dict[tuple[int, tuple], int] = {}  # (int8 tensor, int16 params) → its int16 tensor
    produced16: dict[int, int] = {}  # int8 tensor an island op makes → the int16 tensor it makes instead
    before: dict[int, list[Any]] = {}
    after: dict[int, list[Any]] = {}
    added = 0
    for k, twin in chosen:
        op = sg.operators[k]
        new_inputs = []
        for slot, (i, j) in enumerate(zip(op.inputs, twin.inputs)):
            i, j = int(i), int(j)
            if i < 0:
                new_inputs.append(i)
                continue
            src16 = osg.tensors[j]
            if _is_const(other, src16):  # weights, int64 bias: as the 16x8 quantizer made them
                new_inputs.append(_copy_const(base, sg, other, src16))
                continue
            if types.get(src16.type) != _INT16:  # shape/index inputs
                new_inputs.append(i)
                continue
            key = (i, _qparams(src16))
            if key not in wide:
                if i in produced16 and _qparams(sg.tensors[produced16[i]]) == key[1]:
                    wide[key] = produced16[i]
                else:
                    t16 = _add_tensor(sg, src16, tensor_name(sg.tensors[i]) + "/int16")
                    feed = produced16.get(i, i)  # an island's int16 output with other params: requantize
                    before.setdefault(k, []).append(_quantize_op(base, feed, t16))
                    added += 1
                    wide[key] = t16
            new_inputs.append(wide[key])
        op.inputs = np.array(new_inputs, np.int32)
        outs = []
        for i, j in zip(op.outputs, twin.outputs):
            i, j = int(i), int(j)
            t16 = _add_tensor(sg, osg.tensors[j], tensor_name(sg.tensors[i]) + "/int16")
            produced16[i] = t16
            wide[(i, _qparams(osg.tensors[j]))] = t16
            outs.append(t16)
            narrow_needed = i in model_outputs or any(c not in island_ops for c in consumers.get(i, []))
            if narrow_needed:  # int8 readers keep the int8 tensor the base had
                after.setdefault(k, []).append(_quantize_op(base, t16, i))
                added += 1
        op.outputs = np.array(outs, np.int32)
        op.opcodeIndex = _opcode(base, other, twin)
        op.builtinOptionsType, op.builtinOptions = twin.builtinOptionsType, copy.deepcopy(twin.builtinOptions)
    ops = []
    for k, op in enumerate(sg.operators):
        ops += before.get(k, []) + [op] + after.get(k, [])
    sg.operators = ops
    prune_unused(base)  # the int8 constants the islands replaced
    return write_model(base), names, added


def build_islands(int8_model: bytes, int16_model: bytes, island: Iterable[str], *, max_rounds: int = 12) -> IslandResult:
    """:func:`splice`, then drop island ops LiteRT refuses until the model loads on builtin and
    reference kernels. The result always loads; with nothing left to widen it is the int8 model."""
    wanted = list(dict.fromkeys(island))
    refused: dict[str, str] = {}
    for _ in range(max_rounds):
        model, done, added = splice(int8_model, int16_model, wanted)
        if not done:
            break
        bad = _first_refused(model)
        if bad is None:
            return IslandResult(model, done, refused, added)
        tensor, why = bad
        tensor = tensor if tensor in wanted else done[-1]  # unnamed: give up the last island op
        refused[tensor] = why
        wanted.remove(tensor)
    return IslandResult(int8_model, [], refused, 0)


def _first_refused(model: bytes) -> tuple[str, str] | None:
    """(the island op LiteRT refuses, named by its int8 output tensor; the runtime's reason), or None.

    A refused border QUANTIZE stands for the island op it feeds or drains.
    """
    from ..runtime import RESOLVERS, find_runtime

    rt = find_runtime()
    m = read_model(model)
    sg = m.subgraphs[0]
    for resolver in ("builtin", "reference"):
        try:
            it = rt.interpreter_cls(model_content=model, experimental_op_resolver_type=getattr(
                rt.resolver_enum, RESOLVERS[resolver]))
            it.allocate_tensors()
        except (RuntimeError, ValueError) as e:
            text = " ".join(ln.strip() for ln in str(e).splitlines() if ln.strip())
            node = re.search(r"[Nn]ode number (\d+)", text)
            if not node or int(node.group(1)) >= len(sg.operators):
                return "", text
            op = sg.operators[int(node.group(1))]
            name = op_name(m, op)
            if name == "QUANTIZE":
                src, dst = tensor_name(sg.tensors[int(op.inputs[0])]), int(op.outputs[0])
                if src.endswith("/int16"):
                    return src[:-len("/int16")], f"{name} int16->int8: {text}"
                user = next((o for o in sg.operators if dst in set(int(i) for i in o.inputs)), None)
                out = tensor_name(sg.tensors[int(user.outputs[0])]) if user is not None else ""
                return out[:-len("/int16")] if out.endswith("/int16") else out, f"{name} int8->int16: {text}"
            out = tensor_name(sg.tensors[int(op.outputs[0])])
            return (out[:-len("/int16")] if out.endswith("/int16") else out), f"{name}: {text}"
    return None


#: ops whose int16 kernels cost real time (GEMMs); every other op is cheap in int16
GEMM_OPS = {"FULLY_CONNECTED", "BATCH_MATMUL", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"}


@dataclass(frozen=True)
class TensorFit:
    """How well int8 holds one op output on its own: the op, and the SQNR (dB) of the float
    values rounded to that tensor's int8 scale and zero point (no inherited error)."""

    tensor: str
    op: str
    int8_db: float


def int8_fit(float_model: bytes, int8_model: bytes, samples: Iterable[Iterable[np.ndarray]]) -> list[TensorFit]:
    """Every quantized op output of ``int8_model``, worst-held first, measured on the float
    model's own values over ``samples`` (one float run each, all tensors kept)."""
    from ..runtime import Interpreter

    qm, fm = read_model(int8_model), read_model(float_model)
    qsg, fsg = qm.subgraphs[0], fm.subgraphs[0]
    fidx = {tensor_name(t): i for i, t in enumerate(fsg.tensors)}
    cands = []
    for op in qsg.operators:
        name = op_name(qm, op)
        if name in _SKIP or not len(op.outputs):
            continue
        t = qsg.tensors[int(op.outputs[0])]
        q = t.quantization
        n = tensor_name(t)
        if n in fidx and q is not None and q.scale is not None and len(q.scale) == 1 and \
                tensor_type_names().get(t.type) == "int8":
            cands.append((n, fidx[n], float(q.scale[0]), int(q.zeroPoint[0]), name))
    fi = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    sig = dict.fromkeys((c[0] for c in cands), 0.0)
    err = dict(sig)
    for sample in samples:
        fi.run_float([np.asarray(x, np.float32) for x in sample])
        for n, idx, scale, zp, _ in cands:
            x = fi.tensor(idx).astype(np.float64)
            back = (np.clip(np.round(x / scale) + zp, -128, 127) - zp) * scale
            sig[n] += float((x * x).sum())
            err[n] += float(((x - back) ** 2).sum())
    fits = [TensorFit(n, op, 10.0 * float(np.log10(max(sig[n], 1e-30) / max(err[n], 1e-30))))
            for n, _, _, _, op in cands]
    return sorted(fits, key=lambda f: f.int8_db)


def plan(fits: list[TensorFit], gemm_below_db: float) -> list[str]:
    """The island: every non-GEMM op (cheap in int16), and the GEMMs whose outputs int8 holds
    worse than ``gemm_below_db`` on their own."""
    return [f.tensor for f in fits if f.op not in GEMM_OPS or f.int8_db < gemm_below_db]
