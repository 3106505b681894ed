"""Suite model → ``.tflite`` bytes in one variant, cached by (builder, size, options, versions).

Variants:
* ``float``: the float TFLite model (Keras models exported with batch 1; mediapipe files as shipped).
* ``int8``: ``edgeq.convert`` (int8 activations and weights, int8 I/O) on seeded calibration data.
* ``int4``: the same with packed int4 weights (``weights="int4"``, nearest rounding).
* ``tf-int8``: TensorFlow's own ``TFLiteConverter``, full integer (``TFLITE_BUILTINS_INT8``,
  int8 I/O) with a representative dataset, from a batch-1 SavedModel.
* ``tf-int8-dynbatch``: the same from Keras' own export (dynamic batch): what a user who calls
  ``model.export()`` then the converter gets, runtime-shape ``SHAPE ... PACK -> RESHAPE`` chains included.

A failed build is cached too (``*.error.json``), so a model that does not convert says why at
once; ``rebuild=True`` tries again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EdgeqError
from .fetch import cache_root
from .registry import ModelSpec, spec

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

EDGEQ_VARIANTS = ("int8", "int4")


class SuiteBuildError(EdgeqError):
    """A suite model could not be built in the variant asked for; one line with the cause."""


@dataclass
class SuiteModel:
    """A built suite model: the file in the cache and what is known about it."""

    name: str
    variant: str
    size: int | None
    path: Path
    meta: dict = field(repr=False)

    @property
    def bytes(self) -> bytes:
        return self.path.read_bytes()

    def inputs(self, n: int = 1, seed: int = 1) -> list[np.ndarray]:
        """Float inputs ``[n, ...]`` of the kind the model was calibrated on (another seed)."""
        return spec(self.name).inputs(n, self.size, seed)


def _dist(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _source_fingerprint(root: Path, skip: tuple[str, ...]) -> str:
    """SHA-256 over the ``.py`` files under ``root`` (paths and contents), skipping folders in ``skip``."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if rel.split("/")[0] in skip:
            continue
        h.update(rel.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _builder_fingerprint() -> str:
    """The suite code that shapes a model's bytes: the builders, their data, and the conversion
    functions here (not the cache plumbing, probes or reports, which may change freely)."""
    import inspect

    from . import data, keras_apps, registry, transformer

    h = hashlib.sha256()
    for mod in (data, keras_apps, registry, transformer):
        h.update(Path(mod.__file__).read_bytes())
    for fn in _CONVERSION_CODE:
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()[:16]


def versions(variant: str) -> dict[str, str]:
    """What a cached model depends on besides its builder, size and options."""
    import edgeq

    pkg = Path(edgeq.__file__).resolve().parent
    v = {"tensorflow": _dist("tensorflow") if _dist("tensorflow") != "absent" else _dist("tensorflow-cpu"),
         "keras": _dist("keras"), "numpy": _dist("numpy"), "ai-edge-litert": _dist("ai-edge-litert"),
         "edgeq": edgeq.__version__, "suite_code": _builder_fingerprint()}
    if variant in EDGEQ_VARIANTS:  # the converter's code, wherever the reorganized tree puts it
        v["edgeq_code"] = _source_fingerprint(pkg, ("suite", "lab", "profiling", "_native", "devices"))
    return v


def cache_key(s: ModelSpec, size: int | None, variant: str, options: dict) -> tuple[str, dict]:
    """(hex key, the JSON it hashes): builder + revision, size, variant, options, versions."""
    doc = {"builder": s.name, "revision": s.revision, "source": s.source, "size": size, "variant": variant,
           "options": dict(sorted(options.items())), "versions": versions(variant)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20], doc


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def get(name: str, size: int | None = None, variant: str = "int8", *, seed: int = 0, samples: int = 8,
        calibration: str = "mse", rebuild: bool = False) -> SuiteModel:
    """Suite model ``name`` at ``size`` (default: the benchmark size) as ``variant``, from the cache
    or built now. Raises :class:`SuiteBuildError` (one line) when it cannot be built, and
    ``edgeq.suite.FetchError`` when a file it needs cannot be fetched."""
    s = spec(name)
    if variant not in s.variants:
        raise SuiteBuildError(f"{name} has no variant '{variant}': choose one of {', '.join(s.variants)}")
    if size is not None and s.bench_size is None:
        raise SuiteBuildError(f"{name} has the fixed input size of its file: leave the size out")
    try:
        size = s.size_or_default(size)
    except ValueError as e:
        raise SuiteBuildError(str(e)) from None
    options = {"seed": seed}
    if variant != "float":
        options["samples"] = samples
    if variant in EDGEQ_VARIANTS:
        options["calibration"] = calibration
    key, doc = cache_key(s, size, variant, options)
    stem = f"{name}-{size or 'fixed'}-{variant}-{key}"
    folder = cache_root() / "models"
    path, meta_path, err_path = folder / f"{stem}.tflite", folder / f"{stem}.json", folder / f"{stem}.error.json"
    if not rebuild:
        if path.is_file() and meta_path.is_file():
            return SuiteModel(name, variant, size, path, json.loads(meta_path.read_text()))
        if err_path.is_file():
            raise SuiteBuildError(json.loads(err_path.read_text())["error"])
    t0 = time.perf_counter()
    try:
        model, notes = _build(s, size, variant, options)
    except EdgeqError as e:
        if type(e).__name__ == "FetchError":
            raise  # a fetch can work next time: never cached
        msg = f"{name} ({variant}, size {size or 'fixed'}) does not build: {str(e).splitlines()[0]}"
        _write_atomic(err_path, json.dumps({"error": msg, "key": doc}, indent=1).encode())
        raise SuiteBuildError(msg) from None
    meta = {"name": name, "variant": variant, "size": size, "family": s.family, "summary": s.summary,
            "weights": s.weights, "source": s.source, "inputs": s.input_note, "key": key, "key_doc": doc,
            "bytes": len(model), "build_seconds": round(time.perf_counter() - t0, 1), **notes}
    _write_atomic(path, model)
    _write_atomic(meta_path, json.dumps(meta, indent=1, sort_keys=True).encode())
    if err_path.exists():
        err_path.unlink()
    return SuiteModel(name, variant, size, path, meta)


def _build(s: ModelSpec, size: int | None, variant: str, options: dict) -> tuple[bytes, dict]:
    seed = options["seed"]
    if s.float_file is not None:  # a shipped .tflite
        src = s.float_file()
        if variant == "float":
            return src.read_bytes(), {}
        x = s.inputs(options["samples"], size, seed)
        return _edgeq_convert(str(src), x, variant, options)
    batch = None if variant == "tf-int8-dynbatch" else 1
    model = s.keras(size, seed, batch)
    if variant == "float":
        return _tf_convert(model, None, dynamic_batch=False), {}
    x = s.inputs(options["samples"], size, seed)
    if variant in EDGEQ_VARIANTS:
        return _edgeq_convert(model, x, variant, options)
    return _tf_convert(model, x, dynamic_batch=variant == "tf-int8-dynbatch"), {
        "converter": "tf.lite.TFLiteConverter (TFLITE_BUILTINS_INT8, int8 I/O)"}


def _edgeq_convert(model: Any, x: list[np.ndarray], variant: str, options: dict) -> tuple[bytes, dict]:
    import edgeq

    if len(x) != 1:
        raise EdgeqError("suite models have one input")
    kwargs: dict[str, Any] = {"calibration": options["calibration"]}
    if variant == "int4":
        kwargs.update(weights="int4", int4_rounding="nearest")
    try:
        with tempfile.TemporaryDirectory(prefix="edgeq-suite-calib-") as tmp:
            np.save(Path(tmp) / "calib.npy", x[0])  # calibration data through the public .npy path
            r = edgeq.convert(model, str(Path(tmp) / "calib.npy"), **kwargs)
    except EdgeqError:
        raise
    except Exception as e:  # noqa: BLE001 - the converter's own failure, recorded per model
        raise EdgeqError(f"edgeq.convert raised {type(e).__name__}: {str(e).strip().splitlines()[0][:300]}") from None
    info = r.report.get("model", {})
    return r.model, {"converter": f"edgeq.convert({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})",
                     "fully_integer": info.get("fully_integer")}


def _tf_convert(model: Any, x: list[np.ndarray] | None, dynamic_batch: bool) -> bytes:
    """TensorFlow's converter on a SavedModel exported from ``model``; int8 when ``x`` is given."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="edgeq-suite-export-") as tmp:
        sig = None
        if not dynamic_batch:
            sig = [tf.TensorSpec([1, *t.shape[1:]], t.dtype, name=t.name) for t in model.inputs]
        try:
            model.export(tmp, format="tf_saved_model", verbose=False, input_signature=sig)
            conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
            if x is not None:
                conv.optimizations = [tf.lite.Optimize.DEFAULT]
                conv.representative_dataset = lambda: ([a[i:i + 1] for a in x] for i in range(len(x[0])))
                conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                conv.inference_input_type = tf.int8
                conv.inference_output_type = tf.int8
            return conv.convert()
        except Exception as e:  # noqa: BLE001 - TensorFlow's reason, recorded per model
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            why = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else type(e).__name__)
            raise EdgeqError(f"TFLiteConverter failed: {why[:300]}") from None


#: the functions whose code is part of every cache key (captured here, so tests may patch them)
_CONVERSION_CODE = (_build, _edgeq_convert, _tf_convert)
