"""``edgeq compile``: a fully-integer .tflite model becomes plain C99 with an arena planned ahead of time.

    from edgeq.compile import compile_model, write_output
    cm = compile_model(open("model.tflite", "rb").read(), target="cortex-m4", name="kws")
    write_output(cm, "out/")        # out/kws.h, out/kws.c, out/edgeq_kernels/*

The output needs no TFLite, no flatbuffers, no heap and no libc beyond memcpy/memset; weights are
``const`` arrays (flash on an MCU), the arena one static array whose offsets were planned here.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EdgeqError
from .emit import emit
from .graph import Graph, prune, read_graph
from .lower import TARGETS, Lowered, lower
from .planner import Plan, plan_arena

__all__ = ["CompiledModel", "TARGETS", "compile_model", "write_output"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ONE_ROW_MIN_SAVING = 64


@dataclass
class CompiledModel:
    name: str
    target: str
    files: dict[str, str]
    graph: Graph
    lowered: list[Lowered]
    plan: Plan
    sha256: str
    report: dict = field(default_factory=dict)


def compile_model(data: bytes, target: str = "generic-c", name: str = "model", source: str = "model") -> CompiledModel:
    """Compile .tflite bytes for ``target`` (see ``TARGETS``); raises EdgeqError naming the cause."""
    if target not in TARGETS:
        raise EdgeqError(f"unknown target '{target}': choose one of {', '.join(TARGETS)}")
    if not _NAME.match(name):
        raise EdgeqError(f"--name '{name}' is not a C identifier: use letters, digits and '_', not starting "
                         "with a digit")
    g = read_graph(data, source)
    dropped = prune(g)
    lowered = [lower(g, op, TARGETS[target]) for op in g.ops]
    plan = plan_arena(g, lowered)
    # a multi-row GEMM kernel's scratch may sit at the arena's peak: one row at a time where that saves
    # at least ONE_ROW_MIN_SAVING bytes (one-row kernels cost more instructions per MAC)
    for i, low in enumerate(lowered):
        if low.rows_per_call > 1:
            trial = lowered[:i] + [lower(g, low.op, TARGETS[target], one_row=True)] + lowered[i + 1:]
            trial_plan = plan_arena(g, trial)
            if trial_plan.arena_bytes <= plan.arena_bytes - ONE_ROW_MIN_SAVING:
                lowered, plan = trial, trial_plan
    sha = hashlib.sha256(data).hexdigest()
    files = emit(name, g, lowered, plan, sha)
    from .report import build_report
    cm = CompiledModel(name, target, files, g, lowered, plan, sha)
    cm.report = build_report(cm, data)
    cm.report["dropped_ops"] = [{"op": op.kind, "layer": op.layer} for op in dropped]
    return cm


def write_output(cm: CompiledModel, out_dir: str | os.PathLike) -> list[Path]:
    """Write every file of ``cm`` under ``out_dir``; all files appear together or none do."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise EdgeqError(f"-o {out} is a file: give a folder for the generated sources")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise EdgeqError(f"output folder's parent '{parent}' does not exist: create it first")
    out.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".edgeq-compile-", dir=out))
    written = []
    try:
        for rel, text in cm.files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        for rel in cm.files:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, dest)
            written.append(dest)
    except OSError as e:
        raise EdgeqError(f"cannot write the generated sources to {out} ({e.strerror}): choose a writable folder") \
            from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written
