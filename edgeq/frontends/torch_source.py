"""PyTorch in: a ``torch.export`` program (``.pt2``) or an ``nn.Module`` → a float TFLite model.

litert-torch does the translation (through ``torch.export``); edgeq exports first itself so
that export failures (data-dependent control flow, dynamic shapes) and translation failures
(an aten op with no TFLite lowering) each become one line naming the cause and the fix.
PyTorch models keep their NCHW inputs: calibration data follows the model's own layout.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any, Sequence

from ..errors import ModelError
from .extras import need
from .names import rename_tensors, torch_module_path

#: what the report says about the layout of a PyTorch model's image inputs
NCHW_HINT = {"layout": "nchw", "layout_why": "PyTorch models take NCHW (channels first) tensors"}


def _torch():
    return need("torch", "torch", "converting a PyTorch model")


def from_pt2(path: Path):
    """A ``torch.export.save`` file, converted with the example input shapes it was exported with."""
    torch = _torch()
    try:
        ep = torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001 - torch raises many types for a bad archive
        raise ModelError(f"PyTorch cannot load '{path}' as an ExportedProgram ({_first_line(e)}): save it with "
                         "torch.export.save(torch.export.export(model, example_args), 'model.pt2')") from None
    args = _placeholder_inputs(ep, path)
    digest, size = _file_hash(path)
    return _convert(_eval(ep.module()), args, ep, kind="pt2", path=str(path), digest=digest, size=size)


def from_module(module: Any, example_inputs: Sequence[Any] | None, path: str = "<in-memory nn.Module>"):
    """An ``nn.Module`` and example inputs (a tensor or a tuple of tensors, batch 1, fixed sizes)."""
    torch = _torch()
    if example_inputs is None:
        raise ModelError("converting an nn.Module needs example inputs with fixed sizes: pass "
                         "example_inputs=(torch.randn(1, 3, 224, 224),) (the model's own input shape)")
    args = tuple(example_inputs) if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    module = module.eval()
    try:
        with _quiet():
            ep = torch.export.export(module, args)
    except Exception as e:  # noqa: BLE001
        raise ModelError(_export_error(e)) from None
    h = hashlib.sha256()
    total = 0
    for name, t in sorted(module.state_dict().items()):
        b = t.detach().cpu().contiguous().numpy().tobytes()
        h.update(name.encode())
        h.update(b)
        total += len(b)
    return _convert(_eval(ep.module()), args, ep, kind="torch", path=path, digest=h.hexdigest(), size=total)


def _convert(module: Any, args: tuple, ep: Any, *, kind: str, path: str, digest: str, size: int):
    from ..model_source import FloatModel, tflite_inputs

    litert_torch = need("litert_torch", "torch", "converting a PyTorch model")
    try:
        with _quiet():
            data = litert_torch.convert(module, args).model_content()
    except Exception as e:  # noqa: BLE001 - litert-torch and MLIR raise many types
        raise ModelError(_lowering_error(e, path, ep)) from None
    data, layers = rename_tensors(_without_stablehlo_hint(data), torch_module_path)
    hint = dict(NCHW_HINT) if any(len(a.shape) == 4 for a in args) else {}
    return FloatModel(data, kind, path, digest, size, _module_paths(ep) or layers, tflite_inputs(data),
                      image_hint=hint)


def _eval(module: Any) -> Any:
    """The exported module in inference mode (batch norm and dropout were already exported in it)."""
    try:
        return module.eval()
    except (NotImplementedError, RuntimeError):  # some torch versions refuse eval() on exported modules
        return module


def _without_stablehlo_hint(data: bytes) -> bytes:
    """Drop litert-torch's ``keep_stablehlo_constant`` metadata: with it, TFLite's quantizer leaves every
    GEMM float (what the model computes does not depend on it)."""
    from ..tflite_schema import read_model, write_model

    m = read_model(data)
    m.metadata = [md for md in (m.metadata or []) if md.name != b"keep_stablehlo_constant"] or None
    return write_model(m)


def _module_paths(ep: Any) -> list[str]:
    """Every module path in the exported graph (``features.3.conv.1``), from its nodes' module stacks."""
    paths: dict[str, None] = {}
    for node in ep.graph.nodes:
        for value in (node.meta.get("nn_module_stack") or {}).values():
            p = value[0] if isinstance(value, tuple) else ""  # (module path, class)
            if p:
                paths.setdefault(p)
    return list(paths)


def _placeholder_inputs(ep: Any, path: Path) -> tuple:
    """Zero tensors shaped like the program's user inputs; a symbolic size cannot be converted."""
    torch = _torch()
    user = set(ep.graph_signature.user_inputs)
    args = []
    for node in ep.graph.nodes:
        if node.op != "placeholder" or node.name not in user:
            continue
        val = node.meta.get("val")
        if val is None or not hasattr(val, "shape"):
            raise ModelError(f"'{path}' has a non-tensor input '{node.name}': export a model whose inputs are tensors")
        if not all(isinstance(d, int) for d in val.shape):
            raise ModelError(f"'{path}' input '{node.name}' has dynamic sizes {tuple(val.shape)}: export with static "
                             "shapes, torch.export.export(model, (torch.randn(1, 3, 224, 224),)) without dynamic_shapes")
        args.append(torch.zeros(tuple(val.shape), dtype=val.dtype))
    return tuple(args)


def _export_error(e: BaseException) -> str:
    text = str(e)
    where = _user_frame(text)
    if any(k in text for k in ("data-dependent", "GuardOnDataDependent", "Dynamic control flow")):
        return (f"PyTorch cannot export the model: data-dependent control flow{where} (an `if` or loop on tensor "
                "values); rewrite it with torch.where or torch.cond, or move it out of forward()")
    if "Constraints violated" in text or "dynamic" in text.lower() and "shape" in text.lower():
        return (f"PyTorch cannot export the model with static shapes{where}: export with static shapes, "
                "torch.export.export(m, args) with fixed sizes")
    return f"PyTorch cannot export the model: {_first_line(e)}{where} (torch.export.export(model, args) must succeed)"


def _lowering_error(e: BaseException, path: str, ep: Any) -> str:
    text = str(e)
    ops = sorted(set(re.findall(r"Lowering not found: aten\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)", text)))
    if ops:
        where = _modules_using(ep, ops)
        return (f"litert-torch cannot convert '{path}': no TFLite lowering for aten op {', '.join(ops)}"
                + (f" in module {where}" if where else "") + _user_frame(text)
                + "; replace it with supported torch ops, or keep that part outside the converted model")
    return f"litert-torch cannot convert '{path}': {_first_line(e)} (export a model with standard torch.nn ops)"


def _modules_using(ep: Any, ops: list[str]) -> str:
    """The module paths (and classes) whose code calls ``ops``, from the exported graph's module stacks."""
    found: dict[str, None] = {}
    for node in ep.graph.nodes:
        target = str(getattr(node, "target", ""))
        if node.op == "call_function" and any(target.endswith(f"aten.{op}") for op in ops):
            stack = list((node.meta.get("nn_module_stack") or {}).values())
            if stack and stack[-1][0]:
                found.setdefault(f"'{stack[-1][0]}' ({str(stack[-1][1]).rsplit('.', 1)[-1]})")
    return ", ".join(found)


def _user_frame(text: str) -> str:
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\w+)', text)
    frames = [f for f in frames if "site-packages" not in f[0] and "/torch/" not in f[0]]
    if not frames:
        return ""
    file, line, fn = frames[-1]
    return f" in {fn}() at {os.path.basename(file)}:{line}"


def _first_line(e: BaseException) -> str:
    for line in str(e).splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return type(e).__name__


def _file_hash(path: Path) -> tuple[str, int]:
    raw = path.read_bytes()
    return hashlib.sha256(raw).hexdigest(), len(raw)


@contextlib.contextmanager
def _quiet():
    """litert-torch prints progress lines and absl logs: keep them off edgeq's output."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield
