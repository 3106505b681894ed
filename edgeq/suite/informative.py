"""Outputs that can tell two execution paths apart.

The suite's keras.applications nets carry random weights: their 1000-class SOFTMAX sees near-uniform
logits and quantizes every probability to the output zero point (-128), on any input. Equal outputs
there prove nothing. The tensor feeding a model's final SOFTMAX (the logits) still carries the whole
network's arithmetic, so comparisons and hashes use it: :func:`with_logits` adds it as a model output
(nothing is recomputed or removed: instruction counts and timings stay those of the model), and
:func:`spread` says whether an output has enough distinct values to be worth comparing.
"""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np

from .. import tflite_schema as ts

#: fewest distinct values an output must have for an equality check on it to mean something
MIN_DISTINCT = 16


def logits_tensor(model: Any) -> int | None:
    """Index of the tensor feeding the SOFTMAX that writes a model output (subgraph 0), or None."""
    sg = model.subgraphs[0]
    outs = {int(t) for t in sg.outputs}
    for op in sg.operators:
        if ts.op_name(model, op) == "SOFTMAX" and int(op.outputs[0]) in outs:
            return int(op.inputs[0])
    return None


def with_logits(data: bytes, first: bool = False) -> tuple[bytes, int | None]:
    """The model with its final SOFTMAX's input also a model output: last, or first with ``first``
    (for tools that look at output 0 only). Returns (model, position of the logits among the outputs),
    or (the model unchanged, None) when no SOFTMAX writes a model output."""
    m = ts.read_model(data)
    t = logits_tensor(m)
    if t is None:
        return data, None
    sg = m.subgraphs[0]
    outs = [int(o) for o in sg.outputs if int(o) != t]
    sg.outputs = [t, *outs] if first else [*outs, t]
    return ts.write_model(m), 0 if first else len(outs)


def _producer(sg: Any, t: int) -> Any:
    return next((op for op in sg.operators if t in [int(o) for o in op.outputs]), None)


def _variable_inputs(m: Any, op: Any) -> list[int]:
    sg = m.subgraphs[0]
    out = []
    for i in (int(i) for i in (op.inputs if op.inputs is not None else [])):
        buf = sg.tensors[i].buffer if i >= 0 else 0
        if i >= 0 and not (buf and m.buffers[buf].data is not None and len(m.buffers[buf].data)):
            out.append(i)
    return out


def without_softmax(data: bytes, extra: Sequence[int] = ()) -> tuple[bytes, list[str]]:
    """The model minus the SOFTMAX that writes its output (LiteRT's reference kernel aborts on the tiny
    input scales of random-weight heads), its outputs the logits and the features the logits are
    computed from (the non-constant inputs of the logits' producer: pooled features of a CNN, the last
    hidden layer of an MLP), then ``extra``. A model without a final SOFTMAX keeps its outputs and gains
    the features of its first one. Returns (model, what each output is)."""
    m = ts.read_model(data)
    sg = m.subgraphs[0]
    t = logits_tensor(m)
    if t is None:
        outs, what, gone = [int(o) for o in sg.outputs], ["output"] * len(sg.outputs), set()
        head = outs[0]
    else:
        sm = next(op for op in sg.operators if ts.op_name(m, op) == "SOFTMAX" and int(op.inputs[0]) == t)
        sg.operators = [op for op in sg.operators if op is not sm]
        outs, what, gone = [t], ["logits"], {int(o) for o in sm.outputs}
        head = t
    prod = _producer(sg, head)
    feats = _variable_inputs(m, prod) if prod is not None else []
    for i, label in [(i, f"{ts.op_name(m, prod)} input") for i in feats] + \
                    [(int(i), f"tensor {int(i)} ({ts.tensor_name(sg.tensors[int(i)])})") for i in extra]:
        if i not in outs and i not in [int(x) for x in sg.inputs]:
            outs.append(i)
            what.append(label)
    rest = [int(o) for o in sg.outputs if int(o) not in gone and int(o) not in outs]
    sg.outputs = [*outs, *rest]
    what += ["output"] * len(rest)
    return ts.write_model(m), what


def deepest_informative(data: bytes, inputs: Sequence[np.ndarray]) -> int | None:
    """Walking back from the logits along each producer's first non-constant input, the first tensor
    with at least :data:`MIN_DISTINCT` values on ``inputs`` (builtin kernels). Random-weight MobileNets
    collapse to one value well before the head; this finds where their activations still differ."""
    from ..runtime import Interpreter

    m = ts.read_model(data)
    t = logits_tensor(m)
    if t is None:
        return None
    it = Interpreter(data, resolver="builtin", preserve_all_tensors=True)
    it.run(inputs)
    sg = m.subgraphs[0]
    while t is not None:
        if int(np.unique(it.tensor(t)).size) >= MIN_DISTINCT:
            return t
        prod = _producer(sg, t)
        nxt = _variable_inputs(m, prod) if prod is not None else []
        t = nxt[0] if nxt else None
    return None


def with_outputs(data: bytes, tensors: Sequence[int]) -> bytes:
    """The model with ``tensors`` appended to its outputs (those already outputs are skipped)."""
    m = ts.read_model(data)
    sg = m.subgraphs[0]
    outs = [int(o) for o in sg.outputs]
    sg.outputs = outs + [int(t) for t in dict.fromkeys(tensors) if int(t) not in outs]
    return ts.write_model(m)


def informative_tensors(data: bytes, inputs: Sequence[np.ndarray]) -> list[int]:
    """The logits and, where they collapse on ``inputs``, the deepest tensor that does not (empty for a
    model without a final SOFTMAX)."""
    m = ts.read_model(data)
    t = logits_tensor(m)
    if t is None:
        return []
    deep = deepest_informative(data, inputs)
    return [t] + ([deep] if deep is not None and deep != t else [])


def spread(x: np.ndarray, zero_point: int = 0) -> dict:
    """How informative an output is: distinct values, share at the zero point, range; ``degenerate``
    when it has fewer than :data:`MIN_DISTINCT` distinct values (half its size, if smaller)."""
    a = np.asarray(x)
    need = max(2, min(MIN_DISTINCT, (a.size + 1) // 2))  # a 10-class head cannot have 16 values
    return {"distinct": int(np.unique(a).size), "at_zero_point": round(float(np.mean(a == zero_point)), 4),
            "min": a.min().item() if a.size else None, "max": a.max().item() if a.size else None,
            "degenerate": int(np.unique(a).size) < need}


def sha1(outputs: Sequence[np.ndarray]) -> str:
    return hashlib.sha1(b"".join(np.ascontiguousarray(o).tobytes() for o in outputs)).hexdigest()
