"""TensorFlow's calibrator and quantizer failures as one line that names the op and the tensor.

TFLite's MLIR quantizer raises a bare ``RuntimeError`` and writes its reasons to the
process's stderr (``loc("conv2d_21/Bias"): error: 'tfl.sub' op failed to verify ...``);
its calibrator raises ``Failed to initialize op resolver`` without saying which op it
could not resolve. :func:`captured_output` keeps what TensorFlow printed, and
:func:`explain` turns it, with the model, into one line: TensorFlow's own words, the
op type, its position and output tensor, and a fix — blaming the data only when
TensorFlow's words are about the inputs.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Iterator

from ..tflite_schema import op_name, read_model, tensor_name

_DIAG = re.compile(r"""(?:loc\((?:fused\[)?"(?P<loc>[^"]+)"[^:]*?\):\s*)?error:\s*(?:'tfl\.(?P<op>\w+)'\s+op\s+)?(?P<msg>.+)""")
_OPCODE = re.compile(r"builtin opcode '(?P<op>\w+)'(?: version '(?P<v>\d+)')?")
_UNSUPPORTED = re.compile(r"not yet supported for op: '(?P<op>\w+)'")
_CUSTOM = re.compile(r"unresolved custom op: (?P<op>[\w.]+)")
#: TensorFlow's words that are about the data the user gave
_DATA_WORDS = re.compile(r"dimension mismatch|cannot set tensor|got value of type|expected type|input tensor|"
                         r"shape mismatch|wrong shape", re.I)


class Captured:
    """What TensorFlow wrote to stdout/stderr inside :func:`captured_output` (``.text``)."""

    text: str = ""


@contextlib.contextmanager
def captured_output() -> Iterator[Captured]:
    """Send file descriptors 1 and 2 to a temporary file (C++ code prints there), keep the text."""
    out = Captured()
    saved = []
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        try:
            for fd in (1, 2):
                saved.append((fd, os.dup(fd)))
            for fd, _ in saved:
                os.dup2(tmp.fileno(), fd)
            yield out
        finally:
            for fd, dup in saved:
                os.dup2(dup, fd)
                os.close(dup)
            tmp.seek(0)
            out.text = tmp.read().decode("utf-8", "replace")


@dataclass(frozen=True)
class Diagnostic:
    """One ``error:`` line of TensorFlow's: its op type (TFLite name), location and words."""

    op: str | None
    loc: str | None
    message: str


def diagnostics(text: str) -> list[Diagnostic]:
    """The ``error:`` lines of TensorFlow's output, in order, without repeats."""
    seen, out = set(), []
    for line in text.splitlines():
        m = _DIAG.search(line)
        if not m:
            continue
        op = m.group("op").upper() if m.group("op") else None
        d = Diagnostic(op, m.group("loc"), m.group("msg").strip())
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def _where(model: bytes | None, op: str | None, loc: str | None) -> str:
    """``OP (op #k, tensor 'name')`` for the op that makes tensor ``loc`` (or of type ``op``)."""
    if model is None:
        return f"{op or 'an op'}" + (f" (tensor '{loc}')" if loc else "")
    try:
        m = read_model(model)
    except Exception:  # noqa: BLE001 - naming is best effort; TensorFlow's words still go out
        m = None
    if m is not None:
        sg = m.subgraphs[0]
        for k, o in enumerate(sg.operators):
            outs = [tensor_name(sg.tensors[i]) for i in o.outputs if i >= 0]
            name = op_name(m, o)
            if loc and any(loc == t or loc in t.split(";") for t in outs) or (not loc and op and name == op):
                return f"{name} (op #{k}, tensor '{outs[0] if outs else loc}')"
    return f"{op or 'an op'}" + (f" (tensor '{loc}')" if loc else "")


def custom_op_line(model: bytes) -> str | None:
    """'custom op X (op #k, tensor 't') and N more: Y x3, ...' for the model's custom ops that edgeq's
    interpreter cannot run either (all of them when it runs none), or None."""
    from ..runtime import MEDIAPIPE_CUSTOM_OPS
    from ..zoo_tflite import custom_ops

    ops = custom_ops(model)
    ops = [o for o in ops if o.code not in MEDIAPIPE_CUSTOM_OPS] or ops
    if not ops:
        return None
    first = ops[0]
    rest: dict[str, int] = {}
    for c in ops[1:]:
        rest[c.code] = rest.get(c.code, 0) + 1
    more = f", and {len(ops) - 1} more ({', '.join(f'{k} x{v}' for k, v in rest.items())})" if rest else ""
    return f"custom op {first.code} (op #{first.index}, tensor '{first.output}'){more}"


def explain(stage: str, model: bytes | None, exc: BaseException, printed: str = "") -> str:
    """One line for a failure of TensorFlow's ``stage`` ("calibrator", "quantizer", ...) on ``model``."""
    diags = diagnostics(printed)
    words = str(exc).strip()
    first_exc = next((ln.strip() for ln in words.splitlines() if ln.strip()), "")
    located = next((d for d in diags if d.op or d.loc), None)
    custom = _CUSTOM.search(printed + "\n" + words)
    opcode = _OPCODE.search(printed + "\n" + words)
    if custom or ("op resolver" in words and model is not None and custom_op_line(model)):
        what = custom_op_line(model) if model is not None else None
        what = what or f"custom op {custom.group('op')}"
        them = "them" if "more (" in what else "it"
        return (f"TFLite's {stage} cannot run {what}: TFLite has no kernel for {them}, so the float model cannot run "
                f"(TensorFlow said: {first_exc or 'unresolved custom op'}). Replace those ops with builtin ones, "
                "or cut the model before the first of them")
    if opcode:
        op = opcode.group("op")
        ver = f" version {opcode.group('v')}" if opcode.group("v") else ""
        return (f"TFLite's {stage} has no kernel for {_where(model, op, None)}{ver} (TensorFlow said: "
                f"{first_exc or opcode.group(0)}): update tensorflow, or re-export the model with an older op version")
    unsupported = _UNSUPPORTED.search(printed + "\n" + words)
    if unsupported:
        op = unsupported.group("op")
        return (f"TFLite's {stage} has no rule for {_where(model, op, None)} (TensorFlow said: {unsupported.group(0)}): "
                f"keep it float with --allow-float {op}, or replace that layer")
    if located is not None:
        others = [d.message for d in diags if d is not located and d.message != located.message]
        also = f"; TensorFlow also said: {others[0]}" if others else ""
        return (f"TFLite's {stage} failed at {_where(model, located.op, located.loc)}: {located.message}{also} "
                f"(keep that op float with --allow-float {located.op or 'OP'}, or replace that layer)")
    said = diags[0].message if diags else first_exc or type(exc).__name__
    hint = ("check that the data matches the model's inputs" if _DATA_WORDS.search(said)
            else "the message names no op; run 'edgeq inspect' on the model and --allow-float the op type it points to")
    return f"TFLite's {stage} failed: {said} ({hint})"
