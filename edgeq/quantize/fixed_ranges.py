"""Activation ranges fixed before calibration (quantization-aware training records them).

A float model may carry ``{tensor name: [min, max]}`` as TFLite metadata under
:data:`METADATA_NAME`; the quantize stage writes them over whatever calibration chose,
so the integer model gets exactly the scales and zero points the model was trained with.
Names, not indices, because float-graph rewrites renumber tensors but keep names.
"""
from __future__ import annotations

import json
from typing import Mapping

import numpy as np

from ..tflite_schema import read_model, schema, tensor_name, write_model

METADATA_NAME = "edgeq_fixed_ranges"


def _md_name(md) -> str:
    return md.name.decode() if isinstance(md.name, bytes) else md.name


def embed_fixed_ranges(float_model: bytes, ranges: Mapping[str, tuple[float, float]]) -> bytes:
    """``float_model`` carrying ``ranges`` (tensor name → (min, max)), replacing earlier ones."""
    s = schema()
    m = read_model(float_model)
    payload = json.dumps({k: [float(lo), float(hi)] for k, (lo, hi) in ranges.items()}, sort_keys=True).encode()
    buf = s.BufferT()
    buf.data = np.frombuffer(payload, np.uint8)
    m.buffers.append(buf)
    md = s.MetadataT()
    md.name = METADATA_NAME.encode()
    md.buffer = len(m.buffers) - 1
    m.metadata = [e for e in (m.metadata or []) if _md_name(e) != METADATA_NAME] + [md]
    return write_model(m)


def fixed_ranges(float_model: bytes) -> dict[str, tuple[float, float]]:
    """The fixed ranges ``float_model`` carries (empty when none)."""
    m = read_model(float_model)
    for md in m.metadata or []:
        if _md_name(md) == METADATA_NAME:
            data = m.buffers[md.buffer].data
            raw = json.loads(bytes(np.asarray(data, np.uint8)).decode())
            return {k: (float(v[0]), float(v[1])) for k, v in raw.items()}
    return {}


def without_fixed_ranges(model: bytes) -> bytes:
    """``model`` without the fixed-ranges metadata (it has no use in the integer model)."""
    m = read_model(model)
    ours = [e for e in (m.metadata or []) if _md_name(e) == METADATA_NAME]
    if not ours:
        return model
    for e in ours:
        m.buffers[e.buffer].data = None  # emptied, not removed: other buffers keep their indices
    m.metadata = [e for e in m.metadata if _md_name(e) != METADATA_NAME]
    return write_model(m)


def by_index(model: bytes, ranges: Mapping[str, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """``ranges`` keyed by the index of the tensor of that name in ``model`` (names it lacks are left out)."""
    sg = read_model(model).subgraphs[0]
    index = {tensor_name(t): i for i, t in enumerate(sg.tensors)}
    return {index[n]: r for n, r in ranges.items() if n in index}
