"""User-facing layer names for the weight ops the int4 stage edits.

A weight tensor's name (``functional_1/fc_1/MatMul``) names its Keras layer more
reliably than the op's fused output name, so weight ops are named from it with
:func:`edgeq.layer_names.layer_of_tensor`; both that name and the
generic per-op name of :func:`edgeq.layer_names.op_layer_names` select a layer.
"""
from __future__ import annotations

import re
from typing import Any, Collection

from .. import tflite_schema as ts
from ..layer_names import layer_of_tensor, op_layer_names, scope_parts


_SUFFIX = re.compile(r"_\d+$")


def weight_layer_names(model_bytes: bytes, model: Any, weight_tensors: dict[int, int],
                       known_layers: Collection[str] | None = None) -> dict[int, tuple[str, str]]:
    """op index → (unique weight-derived layer name, generic op layer name) for an op → weight tensor map."""
    known = list(known_layers) if known_layers else None
    generic = op_layer_names(model_bytes, known)
    sg = model.subgraphs[0]
    names = {i: layer_of_tensor(ts.tensor_name(sg.tensors[w]), known) for i, w in weight_tensors.items()}
    return {i: (_unique(names, i, ts.tensor_name(sg.tensors[weight_tensors[i]])), generic[i]) for i in names}


def _unique(names: dict[int, str], op: int, weight_name: str) -> str:
    """A layer with several weights (attention: query/key/value/output) gets ``layer/sublayer`` names."""
    base = names[op]
    if sum(1 for n in names.values() if n == base) == 1:
        return base
    parts = [_SUFFIX.sub("", p) for p in scope_parts(weight_name)]
    if base in parts and parts.index(base) + 2 < len(parts):
        return f"{base}/{parts[parts.index(base) + 1]}"
    return f"{base}#{sorted(i for i, n in names.items() if n == base).index(op)}"
