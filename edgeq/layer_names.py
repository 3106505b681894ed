"""Map TFLite ops back to the layer names users gave them.

Converters name tensors after the TF name scopes they came from, e.g.
``functional_1/stem_conv_1/Relu;functional_1/stem_conv_1/convolution``. Keras 3
appends a ``_N`` suffix to each scope when it traces a model for export, so the
user's layer ``stem_conv`` appears as ``stem_conv_1``. Reports must speak the
user's names, so every message about an op goes through :func:`op_layer_names`.
"""
from __future__ import annotations

import re
from typing import Sequence

from .tflite_schema import read_model, tensor_name

_SUFFIX = re.compile(r"_\d+$")


def scope_parts(name: str) -> list[str]:
    """Name-scope components of the first (main) name in a fused tensor name."""
    first = name.split(";")[0]
    first = first.split(":")[0]  # drop ":0" output suffixes
    return [p for p in first.split("/") if p]


def layer_of_tensor(name: str, known_layers: Sequence[str] | None = None) -> str:
    """User-facing layer name for a tensor name."""
    parts = scope_parts(name)
    if not parts:
        return name
    if known_layers:
        known = set(known_layers)
        whole = name.split(";")[0].rsplit("/", 1)[0]  # a front end's LAYER/INDEX, LAYER with slashes (ONNX nodes)
        if whole in known:
            return whole
        # innermost match wins: nested models put the outer model's scope first
        for part in reversed(parts):
            stripped = _SUFFIX.sub("", part)
            if stripped in known:
                return stripped
            if part in known:
                return part
    # no layer list (a .tflite from a model zoo): the scope path without the op
    # name is the best description there is
    if len(parts) >= 3:
        return "/".join(_SUFFIX.sub("", p) for p in parts[1:-1])
    if len(parts) == 2:
        return _SUFFIX.sub("", parts[0]) if parts[0] not in ("functional", "sequential") else parts[1]
    return parts[0]


def output_layer_map(model: object, output_layers: Sequence[str] | None) -> dict[int, str]:
    """Tensor index of each model output → the Keras layer that produced it.

    Exported models name outputs ``output_0``, ``output_1``… in the Keras model's order;
    the tensors themselves get names like ``StatefulPartitionedCall_1:0``.
    """
    if not output_layers or not getattr(model, "signatureDefs", None):
        return {}
    out = {}
    for t in model.signatureDefs[0].outputs or []:
        key = t.name.decode() if isinstance(t.name, bytes) else t.name
        m = re.fullmatch(r"output_(\d+)", key or "")
        if m and int(m.group(1)) < len(output_layers):
            out[int(t.tensorIndex)] = output_layers[int(m.group(1))]
    return out


def op_layer_names(model: bytes | object, known_layers: Sequence[str] | None = None,
                   subgraph: int = 0, output_layers: Sequence[str] | None = None) -> list[str]:
    """One user-facing layer name per operator of ``subgraph``, in execution order.

    ``model`` is .tflite bytes or a parsed ``ModelT``. ``known_layers`` are the
    Keras layer names when the source was a Keras model, ``output_layers`` the
    layers that produce its outputs.
    """
    m = read_model(model) if isinstance(model, (bytes, bytearray)) else model
    sg = m.subgraphs[subgraph]
    by_output = output_layer_map(m, output_layers) if subgraph == 0 else {}
    names = []
    for op in sg.operators:
        outs = [i for i in (op.outputs if op.outputs is not None else []) if i >= 0]
        if outs and outs[0] in by_output:
            names.append(by_output[outs[0]])
        elif outs:
            names.append(layer_of_tensor(tensor_name(sg.tensors[outs[0]]), known_layers))
        else:
            names.append("")
    return names
