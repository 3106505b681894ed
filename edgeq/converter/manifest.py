"""Traceability: every converted model carries a manifest of how it was made.

The manifest (source model hash, the full recipe, calibration set size and hash,
tool and library versions, evaluation results) is stored in the model's TFLite
metadata under ``edgeq_manifest`` and beside it as ``OUT.manifest.json``. It holds
nothing that changes between runs (no times, no absolute paths), so converting
again with the same recipe and data reproduces the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np

from ..datasets import Samples
from ..errors import EdgeqError
from ..options import OPTION_NAMES, ConvertOptions
from ..tflite_schema import read_model, schema, write_model

METADATA_NAME = "edgeq_manifest"


def manifest_path(model_path: str | os.PathLike) -> Path:
    """``out/model.tflite`` → ``out/model.manifest.json``."""
    p = Path(model_path)
    return p.with_name(p.stem + ".manifest.json")


def samples_sha256(samples: Samples) -> str:
    """Hash of the exact float32 arrays calibration saw (order, shapes and values)."""
    h = hashlib.sha256()
    for x in samples.inputs:
        a = np.ascontiguousarray(x, dtype=np.float32)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("edgeq", "tensorflow-cpu", "tensorflow", "ai-edge-litert", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


def build(report: dict, options: ConvertOptions, calib: Samples, output_layers: list[str] | None = None,
          smoothing: dict | None = None) -> dict:
    """The manifest of a conversion: ``options`` are the resolved options it ran with; ``output_layers`` the
    source's layers that make its outputs (``output_0``… in the file), so that tools reading the file alone
    (inspect, profile, compile) name the outputs and the ops making them as the conversion did; ``smoothing``
    the SmoothQuant factors the float model took before quantization (the budget ladder's islands rung), which
    edgeq debug applies to the float model it compares with."""
    ev = report.get("evaluation")
    return {**({"output_layers": list(output_layers)} if output_layers else {}),
        **({"smoothing": smoothing} if smoothing else {}),
        "format": "edgeq-manifest/1",
        "source": {"name": Path(report["source"]["path"]).name, "kind": report["source"]["kind"],
                   "sha256": report["source"]["sha256"]},
        "recipe": options.recipe(),
        "calibration_data": {"samples": len(calib), "sha256": samples_sha256(calib),
                             # the method that made the ranges: the recipe may say only "auto"
                             **({"method": report["calibration"]["method"]}
                                if (report.get("calibration") or {}).get("method") else {})},
        "graph_rewrites": report.get("graph_rewrites", {}),
        "versions": _versions(),
        "evaluation": None if not ev else {"samples": ev["samples"], "outputs": ev["outputs"],
                                           "runtime": {k: (ev.get("runtime") or {}).get(k)
                                                       for k in ("runtime", "version", "path")}},
    }


def embed(model: bytes, manifest: dict) -> bytes:
    """Return ``model`` with the manifest as TFLite metadata (replacing an older one)."""
    s = schema()
    m = read_model(model)
    payload = json.dumps(manifest, sort_keys=True, separators=(",", ":"), default=str).encode()
    buf = s.BufferT()
    buf.data = np.frombuffer(payload, np.uint8)
    m.buffers.append(buf)
    entries = [md for md in (m.metadata or []) if (md.name.decode() if isinstance(md.name, bytes) else md.name)
               != METADATA_NAME]
    md = s.MetadataT()
    md.name = METADATA_NAME.encode()
    md.buffer = len(m.buffers) - 1
    m.metadata = entries + [md]
    return write_model(m)


def extract(model: bytes) -> dict | None:
    """The manifest of a model converted by edgeq, or None."""
    from ..analysis.model_info import manifest_of

    return manifest_of(read_model(model))


def load_recipe(path: str) -> ConvertOptions:
    """The options of a manifest (sidecar JSON or a converted .tflite) or of a plain recipe JSON."""
    p = Path(path)
    if not p.is_file():
        raise EdgeqError(f"recipe '{path}' does not exist: give an OUT.manifest.json, a converted .tflite, "
                         "or a JSON of convert options")
    raw = p.read_bytes()
    try:
        doc = extract(raw) if p.suffix == ".tflite" else json.loads(raw)
    except (ValueError, EdgeqError):
        doc = None
    if not isinstance(doc, dict):
        raise EdgeqError(f"recipe '{path}' holds no edgeq recipe: give an OUT.manifest.json written by edgeq convert")
    recipe = doc.get("recipe", doc)
    unknown = sorted(set(recipe) - set(OPTION_NAMES))
    if unknown:
        raise EdgeqError(f"recipe '{path}' has unknown option(s) {', '.join(unknown)}: "
                         f"use only {', '.join(OPTION_NAMES)}")
    return ConvertOptions.from_recipe(recipe)
