"""Does stock LiteRT run an int4 layer, and correctly? Checked, not assumed.

Each candidate layer is cut out of the transformed model as a one-op model and
run on every installed runtime × resolver (default = XNNPACK, builtin, reference)
against :mod:`edgeq.int4.reference`. A layer is emitted as int4 only if every
combination prepares and matches: exactly on the reference kernels, within the
±1 requantization-rounding difference TFLite's optimized kernels have for int8
too (kernels.md §2.2) elsewhere.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .. import tflite_schema as ts
from ..errors import EdgeqError
from ..runtime import Interpreter, available_runtimes
from . import reference

RESOLVERS = ("reference", "builtin", "default")
#: optimized kernels requantize with single rounding / fp32 (XNNPACK): ±1 from the reference
OPTIMIZED_TOLERANCE = 1


@dataclass
class Check:
    runtime: str
    resolver: str
    ok: bool
    detail: str  # "exact", "max diff 1", or why it failed


def extract_op(model: Any, op_index: int) -> bytes:
    """A one-op model holding op ``op_index`` of subgraph 0, its tensors and constant buffers."""
    s = ts.schema()
    sg = model.subgraphs[0]
    op = sg.operators[op_index]
    out = s.ModelT()
    out.version = model.version
    out.description = "edgeq int4 probe"
    empty = s.BufferT()
    out.buffers = [empty]
    code = model.operatorCodes[op.opcodeIndex]
    out.operatorCodes = [code]
    tensors, remap = [], {}
    for t_idx in [int(t) for t in op.inputs if int(t) >= 0] + [int(t) for t in op.outputs]:
        if t_idx in remap:
            continue
        t = sg.tensors[t_idx]
        nt = s.TensorT()
        for k, v in vars(t).items():
            setattr(nt, k, v)
        if t.buffer and model.buffers[t.buffer].data is not None and len(model.buffers[t.buffer].data):
            b = s.BufferT()
            b.data = model.buffers[t.buffer].data
            out.buffers.append(b)
            nt.buffer = len(out.buffers) - 1
        else:
            nt.buffer = 0
        remap[t_idx] = len(tensors)
        tensors.append(nt)
    nop = s.OperatorT()
    for k, v in vars(op).items():
        setattr(nop, k, v)
    nop.opcodeIndex = 0
    nop.inputs = [remap[int(t)] if int(t) >= 0 else -1 for t in op.inputs]
    nop.outputs = [remap[int(t)] for t in op.outputs]
    _static_shapes(kind=ts.op_name(model, op), tensors=tensors, op=nop)
    nsg = s.SubGraphT()
    nsg.tensors = tensors
    nsg.operators = [nop]
    nsg.inputs = [remap[int(op.inputs[0])]]
    nsg.outputs = [remap[int(op.outputs[0])]]
    nsg.name = "probe"
    out.subgraphs = [nsg]
    return ts.write_model(out)


def _static_shapes(kind: str, tensors: list, op: Any) -> None:
    """Give a FULLY_CONNECTED probe a static [1, K] input when the graph's shape is dynamic."""
    if kind != "FULLY_CONNECTED":
        return
    t_in, t_w, t_out = tensors[op.inputs[0]], tensors[op.inputs[1]], tensors[op.outputs[0]]
    k, o = int(t_w.shape[1]), int(t_w.shape[0])
    if int(np.prod(t_in.shape)) % k or int(t_in.shape[-1]) != k:
        t_in.shape = np.array([1, k], np.int32)
        t_in.shapeSignature = None
        t_out.shape = np.array([1, o], np.int32)
        t_out.shapeSignature = None


def check_op_model(probe: bytes, *, runtimes: Sequence[str] | None = None, resolvers: Sequence[str] = RESOLVERS,
                   seed: int = 0) -> list[Check]:
    """Run a one-op model on each runtime × resolver and compare with the numpy reference."""
    names = list(runtimes) if runtimes is not None else [r.name for r in available_runtimes()]
    checks: list[Check] = []
    x: np.ndarray | None = None
    expected: np.ndarray | None = None
    unverifiable = ""
    for rt in names:
        for res in resolvers:
            try:
                it = Interpreter(probe, resolver=res, runtime=rt)
            except EdgeqError as e:
                checks.append(Check(rt, res, False, str(e)))
                continue
            if x is None:
                spec = it.inputs[0]
                x = np.random.default_rng(seed).integers(-128, 128, size=spec.shape).astype(spec.dtype)
                try:
                    expected = reference.run_op(probe, 0, x)
                except ValueError as e:  # an op edgeq cannot compute itself cannot be verified
                    unverifiable = f"runs, but edgeq cannot verify it: {e}"
            if expected is None:
                checks.append(Check(rt, res, False, unverifiable))
                continue
            y = it.run([x])[0]
            diff = np.abs(y.astype(np.int64).reshape(-1) - expected.astype(np.int64).reshape(-1))
            worst = int(diff.max()) if diff.size else 0
            allowed = 0 if res == "reference" else OPTIMIZED_TOLERANCE
            detail = "exact" if worst == 0 else f"max diff {worst} ({int((diff > 0).sum())}/{diff.size} values)"
            checks.append(Check(rt, res, worst <= allowed, detail))
    return checks


def check_layer(model: Any, op_index: int, **kw: Any) -> list[Check]:
    """Check one (already rewritten) op of ``model`` on the installed runtimes."""
    # the TF interpreter warns on stderr on every construction; keep probes quiet
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return check_op_model(extract_op(model, op_index), **kw)


def failures(checks: Sequence[Check]) -> list[str]:
    return [f"{c.runtime}/{c.resolver}: {c.detail}" for c in checks if not c.ok]
