"""Rewrite chosen weight tensors of a fully-integer int8 TFLite model to INT4.

Per layer: take the float weights (from ``float_model`` by tensor name, else the
dequantized int8 ones), quantize them symmetric per channel to int4 (nearest or
GPTQ), pack them, store the new scales and requantize the int32 bias to
``input_scale × new_weight_scale[c]``. Each rewritten op is then run on every
installed runtime × resolver (:mod:`edgeq.int4.compat`); layers a runtime refuses
or computes wrongly stay int8 and the report says why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Sequence

import numpy as np

from .. import tflite_schema as ts
from ..errors import EdgeqError
from . import compat, graph, symmetric
from .names import weight_layer_names
from .packing import pack_int4

ROUNDINGS = ("gptq", "nearest")
#: ops tried besides graph.WEIGHT_OPS (constant right-hand side, per-tensor); LiteRT 2.3 refuses
#: int4 here, and the verification step is what keeps them int8 (not a hard-coded rule)
EXTRA_OPS = {"BATCH_MATMUL": 1}


@dataclass(eq=False)
class Candidate:
    op: int
    kind: str
    input: int
    weight: int  # tensor index of the constant weight
    bias: int
    axis: int | None  # output-channel axis; None = per-tensor
    name: str = ""
    alt_name: str = ""
    q: np.ndarray | None = field(default=None, repr=False)
    scales: np.ndarray | None = field(default=None, repr=False)
    w_float: np.ndarray | None = field(default=None, repr=False)  # the float weight q approximates


def _candidates(model: Any) -> list[Candidate]:
    sg = model.subgraphs[0]
    out = [Candidate(w.index, w.kind, w.input, w.weight, w.bias, w.axis)
           for w in graph.weight_ops(model)]
    for i, op in enumerate(sg.operators):
        kind = ts.op_name(model, op)
        if kind in EXTRA_OPS:
            slot = EXTRA_OPS[kind]
            ins = [int(t) for t in op.inputs]
            if len(ins) > slot and ins[slot] >= 0 and ts.buffer_bytes(model, sg.tensors[ins[slot]]) > 0:
                out.append(Candidate(i, kind, ins[0], ins[slot], -1, None))
    for c in out:
        wt = sg.tensors[c.weight]
        scales, _, qdim = graph.quant(wt)
        if c.axis is not None and scales.size == 1:
            c.axis = None  # per-tensor int8 stays per-tensor
        elif c.axis is not None and scales.size > 1:
            c.axis = qdim
    return sorted(out, key=lambda c: c.op)


def _float_weights(float_model: bytes | None) -> dict[str, np.ndarray]:
    """Constant float32 tensors of the float model, by tensor name."""
    if float_model is None:
        return {}
    m = ts.read_model(float_model, "float_model")
    out = {}
    for t in m.subgraphs[0].tensors:
        if graph.type_name(t) == "float32" and ts.buffer_bytes(m, t) > 0 and m.buffers[t.buffer].data is not None:
            out[ts.tensor_name(t)] = graph.buffer_array(m, t, np.float32)
    return out


def layer_float_weight(model: Any, c: Candidate, floats: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """The layer's float weight and where it came from ("float model" or "dequantized int8")."""
    wt = model.subgraphs[0].tensors[c.weight]
    match = floats.get(ts.tensor_name(wt))
    if match is not None and match.shape == graph.shape(wt):
        return match, "float model"
    scales, zps, axis = graph.quant(wt)
    q = graph.buffer_array(model, wt, np.int8).astype(np.float64)
    if scales.size > 1:
        view = symmetric.channel_view
        return ((q - view(zps, q.ndim, axis)) * view(scales.astype(np.float64), q.ndim, axis)).astype(np.float32), \
            "dequantized int8"
    return ((q - zps[0]) * float(scales[0])).astype(np.float32), "dequantized int8"


def _apply(model: Any, c: Candidate) -> None:
    """Write candidate ``c``'s int4 values and scales into ``model`` (in place)."""
    sg = model.subgraphs[0]
    w_idx = graph.private_tensor(model, c.op, c.weight)
    wt = sg.tensors[w_idx]
    graph.set_buffer(model, wt, pack_int4(c.q))
    wt.type = ts.tensor_type_code("INT4")
    graph.set_quant(wt, c.scales, c.axis or 0)
    if c.bias < 0:
        return
    b_idx = graph.private_tensor(model, c.op, c.bias)
    bt = sg.tensors[b_idx]
    old_scales, _, _ = graph.quant(bt)
    bias = graph.buffer_array(model, bt, np.int32).astype(np.float64) * old_scales.astype(np.float64)
    in_scale = float(graph.quant(sg.tensors[c.input])[0][0])
    new_scales = (np.float64(in_scale) * np.broadcast_to(c.scales, bias.shape).astype(np.float64)).astype(np.float32)
    new_bias = np.clip(np.round(bias / new_scales.astype(np.float64)), -2 ** 31, 2 ** 31 - 1).astype(np.int32)
    graph.set_buffer(model, bt, new_bias.tobytes())
    # per-tensor weights need a per-tensor bias scale: TFLite checks bias.scale ≈ input.scale × weight.scale
    # on the tensor's single scale, which a multi-scale bias leaves at 0
    graph.set_quant(bt, new_scales if c.axis is not None else new_scales[:1], 0)


def _refusal(model: Any, c: Candidate, users: dict[int, list[int]]) -> str | None:
    """Why a candidate cannot even be tried, or None."""
    sg = model.subgraphs[0]
    wt = sg.tensors[c.weight]
    if graph.type_name(wt) != "int8":
        return f"weight is {graph.type_name(wt)}, not int8"
    if graph.type_name(sg.tensors[c.input]) != "int8":
        return f"input activations are {graph.type_name(sg.tensors[c.input])}: int4 weights need int8 activations here"
    if model.buffers[wt.buffer].data is None:
        return "weights are stored outside the flatbuffer (>2 GB model): not supported by the int4 rewrite"
    if len(users.get(c.weight, [])) > 1:
        return f"weight tensor is shared by {len(users[c.weight])} ops"
    return None


def _weight_bytes_by_type(model: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    seen: set[int] = set()
    for t in model.subgraphs[0].tensors:
        if t.buffer in seen:
            continue
        n = ts.buffer_bytes(model, t)
        if n:
            seen.add(t.buffer)
            out[graph.type_name(t)] = out.get(graph.type_name(t), 0) + n
    return out


@dataclass
class Int4Plan:
    """Every selected layer's int4 values, verified on the runtimes, ready to emit in any subset."""

    int8_model: bytes = field(repr=False)
    float_model: bytes | None = field(repr=False)
    rounding: str
    candidates: list[Candidate]
    passed: list[Candidate]
    rows: dict[int, dict]

    @property
    def int4_layers(self) -> list[str]:
        return [c.name for c in self.passed]

    def bytes_saved(self, c: Candidate) -> int:
        """Weight bytes saved by making ``c`` int4: one int8 byte becomes half a byte."""
        n = int(np.prod(self.rows[c.op]["shape"]))
        return n - (n + 1) // 2


def plan_int4(int8_model: bytes, *, float_model: bytes | None = None, layers: Collection[str] | None = None,
              rounding: str = "nearest", samples: Sequence[np.ndarray] | np.ndarray | None = None,
              strict: bool = False, progress: bool = False, known_layers: Collection[str] | None = None,
              runtimes: Sequence[str] | None = None, max_rows: int = 4096) -> Int4Plan:
    """Quantize and verify the selected layers (see :func:`to_int4` for the arguments)."""
    if rounding not in ROUNDINGS:
        raise EdgeqError(f"unknown rounding '{rounding}': choose one of {', '.join(ROUNDINGS)}")
    if rounding == "gptq" and (float_model is None or samples is None):
        raise EdgeqError("rounding 'gptq' needs the float model and calibration samples: "
                         "pass float_model= and samples=, or use rounding='nearest'")
    model = ts.read_model(int8_model, "int8 model")
    cands = _candidates(model)
    names = weight_layer_names(int8_model, model, {c.op: c.weight for c in cands}, known_layers)
    for c in cands:
        c.name, c.alt_name = names[c.op]
    if layers is not None:
        wanted = set(layers)
        known = {c.name for c in cands} | {c.alt_name for c in cands} | {c.name.split("/")[0] for c in cands}
        unknown = sorted(wanted - known)
        if unknown:
            raise EdgeqError(f"no weight layer named {', '.join(unknown)} in the model: "
                             f"choose from {', '.join(sorted({c.name for c in cands}))}")
        cands = [c for c in cands if c.name in wanted or c.alt_name in wanted or c.name.split("/")[0] in wanted]

    users = graph.tensor_users(model)
    floats = _float_weights(float_model)
    rows: dict[int, dict] = {}
    tried: list[Candidate] = []
    for c in cands:
        wt = model.subgraphs[0].tensors[c.weight]
        rows[c.op] = {"layer": c.name, "op": c.kind, "op_index": c.op, "weight": ts.tensor_name(wt),
                      "shape": list(graph.shape(wt)), "old_type": graph.type_name(wt), "new_type": graph.type_name(wt),
                      "old_bytes": ts.buffer_bytes(model, wt), "new_bytes": ts.buffer_bytes(model, wt),
                      "granularity": "per-channel" if c.axis is not None else "per-tensor", "reason": None}
        why = _refusal(model, c, users)
        if why is not None:
            rows[c.op]["reason"] = why
            continue
        w, source = layer_float_weight(model, c, floats)
        rows[c.op]["weights_from"] = source
        old_scales = graph.quant(wt)[0]
        if c.axis is None:
            c.scales = np.array([max(float(np.abs(w).max()) / symmetric.QSYM, 1e-12)], np.float32)
            c.q = np.clip(np.round(w / float(c.scales[0])), symmetric.QMIN, symmetric.QMAX).astype(np.int8)
        else:
            c.scales = symmetric.int4_scales(w, c.axis, fallback=old_scales * (127 / symmetric.QSYM))
            c.q = symmetric.quantize_nearest(w, c.scales, c.axis)
        c.w_float = w
        tried.append(c)

    if rounding == "gptq" and tried:
        from .rounding import gptq_layers
        gptq_layers(model, float_model, tried, samples, max_rows=max_rows, progress=progress)  # type: ignore[arg-type]

    # verify each rewritten op on the real runtimes, in a scratch copy of the model
    trial = ts.read_model(int8_model)
    for c in tried:
        _apply(trial, c)
    passed = []
    for c in tried:
        checks = compat.check_layer(trial, c.op, runtimes=runtimes)
        bad = compat.failures(checks)
        rows[c.op]["checks"] = {f"{k.runtime}/{k.resolver}": k.detail for k in checks}
        w = c.w_float
        err = symmetric.dequantize(c.q, c.scales, c.axis) if c.axis is not None else c.q * c.scales[0]
        rows[c.op]["weight_rel_error"] = float(np.linalg.norm(err - w) / max(np.linalg.norm(w), 1e-30))
        if bad:
            rows[c.op]["reason"] = "runtime refused int4: " + bad[0]
        else:
            passed.append(c)
    kept = [rows[c.op] for c in cands if rows[c.op]["reason"] is not None]
    if strict and kept:
        r = kept[0]
        raise EdgeqError(f"layer '{r['layer']}' ({r['op']}) cannot be int4: {r['reason']}; "
                         "leave it out of the int4 layers or drop strict mode")
    return Int4Plan(int8_model, float_model, rounding, cands, passed, rows)


def emit_int4(plan: Int4Plan, layers: Collection[str] | None = None) -> tuple[bytes, dict]:
    """The int8 model with the plan's verified layers (all, or those named in ``layers``) made int4, and its report."""
    chosen = [c for c in plan.passed if layers is None or c.name in layers]
    model = ts.read_model(plan.int8_model)
    for c in chosen:
        _apply(model, c)
    out = ts.write_model(model)
    final = ts.read_model(out)
    rows = {k: dict(v) for k, v in plan.rows.items()}
    for c in chosen:
        t = final.subgraphs[0].tensors[int(final.subgraphs[0].operators[c.op].inputs[1])]
        rows[c.op]["new_type"] = graph.type_name(t)
        rows[c.op]["new_bytes"] = ts.buffer_bytes(final, t)
    chosen_ops = {c.op for c in chosen}
    for c in plan.passed:
        if c.op not in chosen_ops:
            rows[c.op]["reason"] = "not selected (kept int8)"
    kept = [rows[c.op] for c in plan.candidates if rows[c.op]["new_type"] != "int4"]
    report = {
        "rounding": plan.rounding,
        "layers": [rows[c.op] for c in plan.candidates],
        "int4_layers": [c.name for c in chosen],
        "kept_int8": [{"layer": r["layer"], "op": r["op"], "reason": r["reason"]} for r in kept],
        "sizes": {"float_bytes": len(plan.float_model) if plan.float_model is not None else None,
                  "int8_bytes": len(plan.int8_model), "int4_bytes": len(out)},
        "weight_bytes_by_type": {"int8_model": _weight_bytes_by_type(ts.read_model(plan.int8_model)),
                                 "int4_model": _weight_bytes_by_type(final)},
    }
    return out, report


def to_int4(int8_model: bytes, *, float_model: bytes | None = None, layers: Collection[str] | None = None,
            rounding: str = "nearest", samples: Sequence[np.ndarray] | np.ndarray | None = None,
            strict: bool = False, progress: bool = False, known_layers: Collection[str] | None = None,
            runtimes: Sequence[str] | None = None, max_rows: int = 4096) -> tuple[bytes, dict]:
    """Return (int4 model bytes, report). See the module docstring.

    ``layers``: layer names to make int4 (default: every eligible weight layer).
    ``rounding``: ``nearest`` or ``gptq`` (needs ``float_model`` and ``samples``,
    float inputs of the model's first input, shape [N, ...]). ``strict``: raise
    :class:`EdgeqError` naming the first selected layer that must stay int8.
    ``known_layers``: the Keras layer names, to map tensor names to them.
    ``runtimes``: runtimes to verify against (default: all installed).
    Report: per layer old/new type and bytes, why a layer stayed int8, the
    runtime checks; FP32 → INT8 → INT4 file sizes; weight bytes by type.
    """
    plan = plan_int4(int8_model, float_model=float_model, layers=layers, rounding=rounding, samples=samples,
                     strict=strict, progress=progress, known_layers=known_layers, runtimes=runtimes,
                     max_rows=max_rows)
    return emit_int4(plan)


def format_report(report: dict) -> str:
    """A plain-text table of :func:`to_int4`'s report."""
    lines = [f"{'layer':24} {'op':18} {'old':5} {'new':5} {'bytes':>15}  note"]
    for r in report["layers"]:
        lines.append(f"{r['layer'][:24]:24} {r['op']:18} {r['old_type']:5} {r['new_type']:5} "
                     f"{r['old_bytes']:>7}->{r['new_bytes']:<7}  {r['reason'] or ''}")
    s = report["sizes"]
    fb = f"FP32 {s['float_bytes']} B → " if s["float_bytes"] else ""
    lines.append(f"{fb}INT8 {s['int8_bytes']} B → INT4 {s['int4_bytes']} B")
    return "\n".join(lines)
