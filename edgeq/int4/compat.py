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
from ..opcut import cut_op
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
    op = model.subgraphs[0].operators[op_index]
    return cut_op(model, op_index, shapes=_static_shapes(model, op), name="int4 probe")[0]


def _static_shapes(model: Any, op: Any) -> dict[int, tuple[int, ...]]:
    """A FULLY_CONNECTED probe gets a static [1, K] input when the graph's shape is dynamic."""
    if ts.op_name(model, op) != "FULLY_CONNECTED":
        return {}
    tensors = model.subgraphs[0].tensors
    t_in, t_w = tensors[int(op.inputs[0])], tensors[int(op.inputs[1])]
    k, o = int(t_w.shape[1]), int(t_w.shape[0])
    if int(np.prod(t_in.shape)) % k or int(t_in.shape[-1]) != k:
        return {int(op.inputs[0]): (1, k), int(op.outputs[0]): (1, o)}
    return {}


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
