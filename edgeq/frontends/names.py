"""Tensor names in the user's terms: PyTorch module paths (``features.3.conv.1``) or ONNX node names.

The converters name tensors after their own scopes (litert-torch:
``__main__.Net/torch.nn.modules.container.Sequential_features/torch.nn.modules.conv.Conv2d_0;...``).
:func:`rename_tensors` rewrites each name as ``LAYER/INDEX`` (``features.0/12``), which
:mod:`edgeq.layer_names` reads back as the layer ``features.0``; the index keeps names unique,
which calibration and the quantizer's deny lists rely on.
"""
from __future__ import annotations

from typing import Callable

from ..tflite_schema import read_model, tensor_name, write_model


def rename_tensors(tflite: bytes, layer_of: Callable[[str], str | None]) -> tuple[bytes, list[str]]:
    """Rename every tensor ``layer_of`` maps to a layer; returns the model and the layers seen, in order."""
    m = read_model(tflite)
    seen: dict[str, None] = {}
    for sg in m.subgraphs:
        layers = [layer_of(tensor_name(t)) for t in sg.tensors]
        for op in sg.operators:  # an output named by the converter's signature: the layer of the op's weights
            outs = [i for i in (op.outputs if op.outputs is not None else []) if i >= 0]
            ins = [i for i in (op.inputs if op.inputs is not None else []) if i >= 0]
            if outs and not layers[outs[0]]:
                named = [layers[i] for i in ins[1:] + ins[:1] if layers[i]]
                if named:
                    layers[outs[0]] = named[0]
        for k, (t, layer) in enumerate(zip(sg.tensors, layers)):
            if layer:
                t.name = f"{layer}/{k}".encode()
                seen.setdefault(layer)
    return write_model(m), list(seen)


def torch_module_path(name: str) -> str | None:
    """The module path litert-torch's scope names encode, or None for other tensors (inputs, constants).

    A fused op lists its modules' scopes joined by ';', the fusing op first (conv + batch norm + ReLU
    → ReLU;BatchNorm;Conv); the last one is the op the kernel is named after. Each scope level is
    ``package.Class_attribute``; ops in the root module's own ``forward`` get its class name.
    """
    scopes = [p for p in name.split(";") if "." in p.split("/")[0] and not p.startswith("serving_default")]
    if not scopes:
        return None
    levels = scopes[-1].split("/")
    attrs = []
    for level in levels[1:]:
        leaf = level.rsplit(".", 1)[-1]
        if "_" not in leaf:
            return None
        attrs.append(leaf.split("_", 1)[1])
    return ".".join(attrs) if attrs else levels[0].rsplit(".", 1)[-1]
