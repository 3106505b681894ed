"""SmoothQuant-style migration of activation outliers into weights (Xiao et al., 2023), on a float .tflite.

A FULLY_CONNECTED computes ``X @ W.T``; with a per-input-channel ``s > 0`` that equals
``(X / s) @ (W * s).T``. Transformers' FC inputs have a few channels far larger than the rest
(all-MiniLM-L6-v2: the feed-forward inputs peak ~20x their median channel), which sets the
per-tensor int8 scale and leaves the other channels a few levels; dividing those channels
by ``s`` and multiplying the weights' columns by it moves the spread into the weights, whose
int8 scale is per output channel. ``s_j = max|X_j|**alpha / max|W_j|**(1 - alpha)``.

``X / s`` must be computed exactly where ``X`` is made: the producer is rewritten, not a MUL
added (a MUL would read the same badly quantized ``X``). :func:`_Scaler` finds it by walking
back from ``X`` through ops that are linear per last-axis channel: ADD/SUB (both sides scaled),
MUL (one side scaled: a constant, or a tensor that can be), and FULLY_CONNECTED with constant
weights (its output rows scaled; ReLU commutes with ``s > 0``). Keras' LayerNormalization ends in
``x * (rsqrt * gamma) + (beta - mean * rsqrt * gamma)``, so ``gamma`` and ``beta`` take the scale.
The scaled ops are copies: other readers of ``X`` (the residual ADD after a LayerNorm) keep
reading the original. Every change is exact in float up to rounding.
"""
from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..tflite_schema import op_name, read_model, tensor_name, write_model
from .constants import float_constant
from .graph_rewrites import _const_tensor, prune_unused

#: SmoothQuant's migration strength: 0.5 splits the spread evenly between activations and weights
ALPHA = 0.5
#: how many ops back a scale may be carried (LayerNorm's tail needs 3)
MAX_DEPTH = 4
_LINEAR = {"ADD", "SUB", "MUL"}
_HOMOGENEOUS = {0, 1}  # fused activation NONE, RELU


@dataclass
class SmoothReport:
    """What smoothing did, for the report."""

    fcs: int  # FULLY_CONNECTED layers whose weights took a scale
    inputs: int  # distinct activations divided by a scale
    copied_ops: int  # producer ops copied with scaled constants
    worst_ratio_before: float  # largest max/median channel ratio among the smoothed inputs
    worst_ratio_after: float
    #: the factor ``s`` of each smoothed input, by its tensor name in the float model (float32, as applied): the
    #: converted model's manifest keeps them, so that edgeq debug can smooth the float model the same way
    scales: dict[str, np.ndarray] = field(default_factory=dict)


def encode_scales(scales: Mapping[str, np.ndarray]) -> dict[str, str]:
    """``{tensor name: base64 of the float32 little-endian factors}`` (exact, and a quarter of a JSON list)."""
    return {k: base64.b64encode(np.asarray(v, "<f4").tobytes()).decode() for k, v in sorted(scales.items())}


def decode_scales(encoded: Mapping[str, str]) -> dict[str, np.ndarray]:
    """The inverse of :func:`encode_scales`."""
    return {k: np.frombuffer(base64.b64decode(v), "<f4").astype(np.float32) for k, v in encoded.items()}


class _Graph:
    def __init__(self, m: Any):
        self.m, self.sg = m, m.subgraphs[0]
        self.producer: dict[int, Any] = {}
        self.consumers: dict[int, list[Any]] = {}
        for op in self.sg.operators:
            for o in op.outputs:
                self.producer[int(o)] = op
            for i in op.inputs:
                if i >= 0:
                    self.consumers.setdefault(int(i), []).append(op)
        self.outputs = set(int(i) for i in self.sg.outputs)

    def const(self, i: int) -> np.ndarray | None:
        return float_constant(self.m, self.sg, i)

    def last_dim(self, i: int) -> int:
        shape = self.sg.tensors[i].shape
        return int(shape[-1]) if shape is not None and len(shape) else 1


class _Scaler:
    """Builds ``tensor / s`` (per last-axis channel) by copying the ops that make ``tensor``."""

    def __init__(self, g: _Graph):
        self.g = g
        self.copies: list[tuple[Any, Any]] = []  # (original op, scaled copy), insertion after the original

    def cost(self, t: int, c: int, depth: int = 0) -> float:
        """Ops to copy so that ``t / s`` exists (inf when it cannot be made)."""
        g = self.g
        if g.const(t) is not None:
            v = g.const(t)
            return 0 if v.size == 1 or (v.ndim and v.shape[-1] == c) else np.inf
        op = g.producer.get(t)
        if op is None or depth >= MAX_DEPTH or g.last_dim(t) != c:
            return np.inf
        kind = op_name(g.m, op)
        ins = [int(i) for i in op.inputs]
        if kind in ("ADD", "SUB") and _fused(op) == 0:
            return 1 + sum(self.cost(i, c, depth + 1) for i in ins)
        if kind == "MUL" and _fused(op) in _HOMOGENEOUS:
            return 1 + min(self.cost(i, c, depth + 1) for i in ins)
        if kind == "FULLY_CONNECTED" and _fused(op) in _HOMOGENEOUS:
            w = g.const(ins[1])
            if w is not None and w.ndim == 2 and w.shape[0] == c and (len(ins) < 3 or ins[2] < 0
                                                                      or g.const(ins[2]) is not None):
                return 1
        return np.inf

    def scaled(self, t: int, s: np.ndarray, memo: dict[int, int], depth: int = 0) -> int:
        """Index of a tensor equal to ``t / s``; call only where :meth:`cost` is finite."""
        if t in memo:
            return memo[t]
        g = self.g
        v = g.const(t)
        if v is not None:
            new = _const_tensor(g.m, g.sg, v / s if v.size != 1 else v.reshape(-1)[0] / s,
                                f"{tensor_name(g.sg.tensors[t])}/smoothed")
            memo[t] = new
            return new
        op = g.producer[t]
        kind = op_name(g.m, op)
        ins = [int(i) for i in op.inputs]
        c = s.size
        new_ins = list(ins)
        if kind in ("ADD", "SUB"):
            new_ins = [self.scaled(i, s, memo, depth + 1) for i in ins]
        elif kind == "MUL":
            k = int(np.argmin([self.cost(i, c, depth + 1) for i in ins]))
            new_ins[k] = self.scaled(ins[k], s, memo, depth + 1)
        else:  # FULLY_CONNECTED: output rows of W and the bias
            new_ins[1] = _const_tensor(g.m, g.sg, g.const(ins[1]) / s[:, None],
                                       f"{tensor_name(g.sg.tensors[ins[1]])}/smoothed")
            if len(ins) > 2 and ins[2] >= 0:
                new_ins[2] = _const_tensor(g.m, g.sg, g.const(ins[2]) / s,
                                           f"{tensor_name(g.sg.tensors[ins[2]])}/smoothed")
        out = copy.deepcopy(g.sg.tensors[t])
        out.name = f"{tensor_name(out)}/smoothed".encode()
        out.quantization = None
        g.sg.tensors.append(out)
        new_t = len(g.sg.tensors) - 1
        dup = copy.deepcopy(op)
        dup.inputs = np.array(new_ins, np.int32)
        dup.outputs = np.array([new_t], np.int32)
        self.copies.append((op, dup))
        memo[t] = new_t
        return new_t


def _fused(op: Any) -> int:
    return int(getattr(op.builtinOptions, "fusedActivationFunction", 0) or 0)


def smoothable_inputs(float_model: bytes) -> dict[int, list[int]]:
    """``{activation tensor: [FULLY_CONNECTED op indices reading it]}`` where smoothing can apply."""
    m = read_model(float_model)
    g = _Graph(m)
    found: dict[int, list[int]] = {}
    for k, op in enumerate(g.sg.operators):
        if op_name(m, op) != "FULLY_CONNECTED" or len(op.inputs) < 2:
            continue
        x, w = int(op.inputs[0]), int(op.inputs[1])
        wv = g.const(w)
        if wv is None or wv.ndim != 2 or g.last_dim(x) != wv.shape[1] or x in g.outputs:
            continue
        if np.isfinite(_Scaler(g).cost(x, wv.shape[1])):
            found.setdefault(x, []).append(k)
    return found


def channel_peaks(float_model: bytes, tensors: Iterable[int], samples: Iterable[Sequence[np.ndarray]]
                  ) -> dict[int, np.ndarray]:
    """``max |x|`` per last-axis channel of each tensor, over the float model's runs on ``samples``."""
    from ..runtime import Interpreter

    interp = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    peaks: dict[int, np.ndarray] = {}
    tensors = list(tensors)
    for x in samples:
        interp.run_float(list(x))
        for t in tensors:
            a = np.abs(interp.tensor(t))
            a = a.reshape(-1, a.shape[-1]).max(axis=0).astype(np.float64)
            peaks[t] = np.maximum(peaks[t], a) if t in peaks else a
    return peaks


def smooth_model(float_model: bytes, samples: Iterable[Sequence[np.ndarray]], *, alpha: float = ALPHA,
                 scales: Mapping[str, np.ndarray] | None = None) -> tuple[bytes, SmoothReport]:
    """``float_model`` with every smoothable FULLY_CONNECTED input divided by its scale (see module doc).

    ``scales`` (``{tensor name: s}``, a :attr:`SmoothReport.scales`): those factors instead of ones from the
    data, for those inputs only (``samples`` unused): the same float model an earlier smoothing made."""
    targets = smoothable_inputs(float_model)
    m = read_model(float_model)
    g = _Graph(m)
    if scales is not None:
        given = {tensor_name(g.sg.tensors[x]): x for x in targets}
        missing = sorted(set(scales) - set(given))
        if missing:
            raise ValueError(f"no smoothable FULLY_CONNECTED input named {missing[0]!r} in this model")
        targets = {x: k for x, k in targets.items() if tensor_name(g.sg.tensors[x]) in scales}
    if not targets:
        return float_model, SmoothReport(0, 0, 0, 0.0, 0.0)
    if scales is not None:
        peaks = {x: np.ones(g.last_dim(x)) for x in targets}  # the ratios below are then the factors' own
    else:
        peaks = channel_peaks(float_model, targets, samples)
    ops = g.sg.operators
    scaler = _Scaler(g)
    fcs = 0
    before, after = [], []
    used: dict[str, np.ndarray] = {}
    for x, fc_ids in targets.items():
        ws = [g.const(int(ops[k].inputs[1])) for k in fc_ids]
        amax = peaks[x]
        wmax = np.max([np.abs(w).max(axis=0) for w in ws], axis=0).astype(np.float64)
        if scales is not None:
            s = np.asarray(scales[tensor_name(g.sg.tensors[x])], np.float64)
            if s.shape != amax.shape:
                raise ValueError(f"{s.size} smoothing factors for input {tensor_name(g.sg.tensors[x])!r} of "
                                 f"{amax.size} channels")
        else:
            ok = (amax > 0) & (wmax > 0)
            s = np.ones_like(amax)
            s[ok] = amax[ok] ** alpha / wmax[ok] ** (1.0 - alpha)
            s = np.clip(s / np.exp(np.mean(np.log(s))), 1e-4, 1e4)  # geometric mean 1: ranges stay near their size
        used[tensor_name(g.sg.tensors[x])] = s.astype(np.float32)
        new_x = scaler.scaled(x, s.astype(np.float32), {})
        for k in fc_ids:
            op = ops[k]
            w_i = int(op.inputs[1])
            ins = [int(i) for i in op.inputs]
            ins[0] = new_x
            ins[1] = _const_tensor(m, g.sg, g.const(w_i) * s[None, :].astype(np.float32),
                                   f"{tensor_name(g.sg.tensors[w_i])}/smoothed")
            op.inputs = np.array(ins, np.int32)
            fcs += 1
        before.append(float(amax.max() / max(np.median(amax), 1e-30)))
        sm = amax / s
        after.append(float(sm.max() / max(np.median(sm), 1e-30)))
    order = {id(op): k for k, op in enumerate(ops)}
    placed: dict[int, list[Any]] = {}
    for orig, dup in scaler.copies:
        placed.setdefault(order[id(orig)], []).append(dup)
    new_ops: list[Any] = []
    for k, op in enumerate(ops):
        new_ops.append(op)
        new_ops.extend(placed.get(k, []))
    g.sg.operators = new_ops
    prune_unused(m)
    rep = SmoothReport(fcs, len(targets), len(scaler.copies), round(max(before), 2), round(max(after), 2), used)
    return write_model(m), rep
