"""Turn whatever model the user has into a float TFLite flatbuffer.

Keras (``.keras``, ``.h5``), a SavedModel folder, a float ``.tflite``, a PyTorch
``torch.export`` program (``.pt2``) or an ``.onnx`` file all become one float TFLite model (the last two
through :mod:`edgeq.frontends`). That float model is both the input to quantization and the
reference that the quantized model is measured against, so both sides run on the
same interpreter.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import InputSpec
from .errors import ModelError
from .tflite_schema import looks_like_tflite, op_name, read_model, tensor_name, tensor_type_names

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class FloatModel:
    """A float TFLite model and what we know of where it came from."""

    tflite: bytes
    kind: str  # "keras" | "savedmodel" | "tflite" | "pt2" | "torch" | "onnx"
    path: str
    sha256: str  # of the source file(s)
    source_bytes: int  # size of the source model's weights as stored
    layer_names: list[str] | None = None  # Keras layer names, when known
    inputs: list[InputSpec] = field(default_factory=list)
    image_hint: dict = field(default_factory=dict)  # {"normalize": "0..255"} from a Rescaling layer, {"layout": "nchw"}
    output_layers: list[str] | None = None  # the Keras layers that produce the model's outputs, in order
    keras_inputs: list[str] | None = None  # the Keras model's input names, in its own order
    prepared: dict = field(default_factory=dict)  # what edgeq.zoo_tflite did to a zoo .tflite (folds, decompositions)
    qat: object = None  # the QatRecord (edgeq.qat.record) of a model edgeq finetune wrote


def _hash_path(p: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    total = 0
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
    for f in files:
        if p.is_dir():  # a file's hash is plain sha256 (what sha256sum prints); a folder's covers names too
            h.update(str(f.relative_to(p)).encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
                total += len(chunk)
    return h.hexdigest(), total


def _first_line(e: BaseException) -> str:
    """The informative line of a TensorFlow error (they are often pages long)."""
    text = str(e)
    for line in text.splitlines():
        line = line.strip()
        m = re.search(r"error: (.*)", line)
        if m:
            return m.group(1).strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return type(e).__name__


#: what load_model reads, for error messages
MODEL_KINDS = "a .keras, .h5, SavedModel folder, float .tflite, PyTorch .pt2 or .onnx"


def load_model(path: str | os.PathLike) -> FloatModel:
    """Load a Keras, SavedModel, float TFLite, PyTorch .pt2 or ONNX model as a float TFLite flatbuffer."""
    p = Path(path)
    if not p.exists():
        raise ModelError(f"model '{path}' does not exist: check the path")
    if p.is_dir():
        if not (p / "saved_model.pb").exists():
            raise ModelError(f"folder '{path}' is not a SavedModel (no saved_model.pb): give {MODEL_KINDS}")
        return _from_saved_model(p)
    suffix = p.suffix.lower()
    if suffix == ".tflite":
        return _from_tflite(p)
    if suffix in (".keras", ".h5", ".hdf5"):
        return _from_keras(p)
    if suffix == ".pt2":
        from .frontends.torch_source import from_pt2

        return from_pt2(p)
    if suffix == ".onnx":
        from .frontends.onnx_source import from_onnx

        return from_onnx(p)
    head = p.read_bytes()[:8]
    if looks_like_tflite(head):
        return _from_tflite(p)
    raise ModelError(f"'{path}' is not a model edgeq reads: give {MODEL_KINDS}")


def _from_tflite(p: Path) -> FloatModel:
    from .zoo_tflite import prepare

    raw = p.read_bytes()
    read_model(raw, source=f"'{p}'")
    data, prepared = prepare(raw)  # fp16/int8/sparse weights folded, known custom ops decomposed
    m = read_model(data, source=f"'{p}'")
    if not m.subgraphs:
        raise ModelError(f"'{p}' has no subgraphs: re-export the model")
    sg = m.subgraphs[0]
    types = tensor_type_names()
    quantized_acts = []
    for i in list(sg.inputs) + list(sg.outputs):
        t = sg.tensors[i]
        if types.get(t.type) in ("int8", "uint8", "int16"):
            quantized_acts.append(tensor_name(t))
    ops = {op_name(m, op) for op in sg.operators}
    if quantized_acts or ("QUANTIZE" in ops and "DEQUANTIZE" in ops):
        raise ModelError(f"'{p}' is already quantized: give the float model (float32 .tflite, Keras or SavedModel)")
    flex = sorted(o for o in ops if o.startswith("CUSTOM:Flex"))
    if flex:
        raise ModelError(f"'{p}' uses TensorFlow (Flex) ops {', '.join(flex)} that have no integer TFLite kernel: "
                         "re-export it with TFLite builtin ops only")
    digest = hashlib.sha256(raw).hexdigest()
    return FloatModel(data, "tflite", str(p), digest, len(raw), None, tflite_inputs(data), prepared=prepared)


def tflite_inputs(data: bytes) -> list[InputSpec]:
    """Input specs, named by signature when the model has one (the names users know)."""
    import numpy as np

    m = read_model(data)
    sg = m.subgraphs[0]
    sig_names = {}
    if m.signatureDefs:
        for t in m.signatureDefs[0].inputs or []:
            n = t.name.decode() if isinstance(t.name, bytes) else t.name
            sig_names[t.tensorIndex] = n
    specs = []
    for i in sg.inputs:
        t = sg.tensors[i]
        sig = t.shapeSignature if t.shapeSignature is not None else t.shape
        shape = tuple(int(d) for d in (sig if sig is not None else []))
        name = sig_names.get(i) or tensor_name(t).split(":")[0]
        specs.append(InputSpec(name, shape, np.dtype(np.float32)))
    return specs


def _tf():
    try:
        import tensorflow as tf
    except ImportError:
        raise ModelError("converting models needs TensorFlow: pip install tensorflow") from None
    return tf


def _from_saved_model(p: Path, kind: str = "savedmodel", layer_names=None, digest=None, size=None,
                      image_hint=None) -> FloatModel:
    tf = _tf()
    try:
        conv = tf.lite.TFLiteConverter.from_saved_model(str(p))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        data = conv.convert()
    except Exception as e:  # noqa: BLE001 - TF raises many types; all mean "cannot convert"
        raise ModelError(f"TensorFlow cannot convert '{p}' to TFLite: {_first_line(e)} "
                         "(replace the layer that uses that op, or export a model with TFLite builtin ops)") from None
    if digest is None:
        digest, size = _hash_path(p)
    return FloatModel(data, kind, str(p), digest, size or len(data), layer_names, tflite_inputs(data),
                      image_hint or {})


def _check_zip(p: Path) -> None:
    """A cut or damaged .keras fails here in words that say so: Keras said 'File not found: filepath=...' of a file
    that is there, and to re-save the model with this Keras version."""
    import zipfile
    try:
        with zipfile.ZipFile(p) as z:
            bad = z.testzip()  # every member's CRC
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
        detail = str(e).strip() or type(e).__name__
        raise ModelError(f"'{p}' is a damaged Keras archive, truncated or corrupt (the zip: {detail}): copy it "
                         "again or re-save it with model.save()") from None
    if bad is not None:
        raise ModelError(f"'{p}' is a damaged Keras archive: its member '{bad}' fails its checksum: copy it again or "
                         "re-save it with model.save()")


def import_modules(names: "Sequence[str]") -> None:
    """Import the user's modules that define a Keras model's custom layers (``--import MODULE``): their
    ``@keras.saving.register_keras_serializable`` classes are then known when the model loads."""
    import importlib
    import sys

    if names and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ModelError(f"--import {name}: cannot import it ({e}): run from the folder that holds {name}.py or "
                             "add it to PYTHONPATH") from None
        except SyntaxError as e:
            raise ModelError(f"--import {name}: syntax error ({e.msg}, {e.filename} line {e.lineno}): fix it") from None
        except SystemExit as e:
            raise ModelError(f"--import {name}: importing it called sys.exit({e.code}): keep top-level code out of "
                             "the module, or guard it with if __name__ == '__main__'") from None
        except Exception as e:  # noqa: BLE001 - the user's module failed while importing; say so
            raise ModelError(f"--import {name}: importing it raised {type(e).__name__}: {_first_line(e)}") from None


def _unknown_custom_layers(p: Path) -> list[str]:
    """Registered names (``package>Class``) of the custom objects a .keras archive's config uses that Keras
    cannot find here (their module was not imported), in order of appearance."""
    import json
    import zipfile

    import keras
    try:
        with zipfile.ZipFile(p) as z:
            config = json.loads(z.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []
    found: list[str] = []

    def walk(o) -> None:
        if isinstance(o, dict):
            name, module = o.get("registered_name"), o.get("module")
            if ("class_name" in o and "config" in o and isinstance(name, str) and name
                    and not (isinstance(module, str) and module.split(".")[0] == "keras")
                    and keras.saving.get_registered_object(name) is None and name not in found):
                found.append(name)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(config)
    return found


def _from_keras(p: Path) -> FloatModel:
    # checked before TensorFlow loads (seconds): an empty or wrong file fails at once
    head = p.read_bytes()[:8]
    if p.suffix.lower() == ".keras" and not head.startswith(b"PK"):
        raise ModelError(f"'{p}' is not a Keras archive (a .keras file is a zip): re-save it with model.save()")
    if p.suffix.lower() == ".keras":
        _check_zip(p)
    if p.suffix.lower() in (".h5", ".hdf5") and not head.startswith(b"\x89HDF"):
        raise ModelError(f"'{p}' is not an HDF5 file: re-save it with model.save('model.h5')")
    tf = _tf()
    import keras

    try:
        model = keras.models.load_model(str(p), compile=False)
    except Exception as e:  # noqa: BLE001
        custom = _unknown_custom_layers(p) if p.suffix.lower() == ".keras" else []
        if custom:  # Keras says only that the Functional 'could not be deserialized properly'
            names = ", ".join(f"'{c}'" for c in custom)
            raise ModelError(f"Keras cannot load '{p}': it uses custom layer(s) {names} whose code is not imported "
                             "here: give the module that defines them with --import MODULE (a MODULE.py in this "
                             "folder or on PYTHONPATH, registered with @keras.saving.register_keras_serializable), "
                             "or load the model in Python and pass it to edgeq.convert") from None
        msg = _first_line(e)
        hint = ("give the custom layer's module with --import MODULE so Keras can find it"
                if "Unknown" in msg or "custom" in msg.lower() else "re-save the model with this Keras version")
        raise ModelError(f"Keras cannot load '{p}': {msg} ({hint})") from None
    digest, size = _hash_path(p)
    fm = from_keras_model(model, kind="keras", path=str(p), digest=digest, size=size, tf=tf)
    from .qat.record import read_record

    fm.qat = read_record(p)
    return fm


def keras_layer_names(model) -> list[str]:
    """All layer names, nested models included."""
    names = []
    for layer in model.layers:
        names.append(layer.name)
        if hasattr(layer, "layers"):
            names += keras_layer_names(layer)
    return names


def _batch1_signature(model, tf) -> list | None:
    """Export with batch size 1: edge models run one sample at a time, and a dynamic batch turns
    Flatten/Dense into SHAPE/PACK/STRIDED_SLICE chains with dynamic tensors that TFLite Micro and
    delegates cannot take. Returns None (Keras' own signature) when an input is not a plain tensor."""
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError):
        return None
    specs = []
    for t in inputs:
        shape = list(t.shape)
        if not shape or any(d is None for d in shape[1:]):
            return None  # other dynamic dimensions: keep Keras' signature
        specs.append(tf.TensorSpec([1, *shape[1:]], t.dtype, name=t.name))
    # a multi-input model is called with the list of its inputs: one argument (TensorFlow orders the .tflite's
    # inputs its own way either way; _in_keras_order puts them back)
    return specs if len(specs) == 1 else [specs]


def _in_keras_order(data: bytes, names: list[str]) -> bytes:
    """The .tflite's inputs in the Keras model's order: TensorFlow's converter orders a multi-input signature its
    own way (Keras a, b came out b, a; in1, in2, in3 as in2, in3, in1), and a user feeding inputs by position
    would swap them. Nothing changes when the names do not all match."""
    if len(names) < 2:
        return data
    import numpy as np

    m = read_model(data)
    sg = m.subgraphs[0]
    sig = (m.signatureDefs or [None])[0]
    by_tensor = {}
    for t in (sig.inputs or []) if sig is not None else []:
        by_tensor[int(t.tensorIndex)] = t.name.decode() if isinstance(t.name, bytes) else t.name
    have = [by_tensor.get(int(i)) for i in sg.inputs]
    if sorted(n for n in have if n is not None) != sorted(names) or have == names:
        return data
    sg.inputs = np.array([int(sg.inputs[have.index(n)]) for n in names], dtype=np.int32)
    sig.inputs = sorted(sig.inputs, key=lambda t: names.index(by_tensor[int(t.tensorIndex)]))
    from .tflite_schema import write_model
    return write_model(m)


def _output_layers(model) -> list[str] | None:
    try:
        return [t._keras_history.operation.name for t in model.outputs]
    except AttributeError:  # not a functional model
        return None


def _image_hint(model) -> dict:
    """A leading Rescaling layer means the model wants raw 0..255 pixels."""
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if type(layer).__name__ == "Rescaling":
            return {"normalize": "0..255", "why": f"the model starts with Rescaling layer '{layer.name}'"}
        break
    return {}


def from_keras_model(model, *, kind: str = "keras", path: str = "<in-memory Keras model>",
                     digest: str | None = None, size: int | None = None, tf=None) -> FloatModel:
    """Convert an in-memory Keras model (used by the Python API and by tests)."""
    tf = tf or _tf()
    if digest is None:
        h = hashlib.sha256()
        total = 0
        for w in model.weights:
            b = w.numpy().tobytes()
            h.update(b)
            total += len(b)
        digest, size = h.hexdigest(), total
    with tempfile.TemporaryDirectory(prefix="edgeq-export-") as tmp:
        try:
            model.export(tmp, format="tf_saved_model", verbose=False, input_signature=_batch1_signature(model, tf))
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"Keras cannot export '{path}' for conversion: {_first_line(e)} "
                             "(build the model with static shapes and TF-compatible layers)") from None
        fm = _from_saved_model(Path(tmp), kind, keras_layer_names(model), digest, size, _image_hint(model))
    fm.path = path
    fm.output_layers = _output_layers(model)
    try:
        fm.keras_inputs = [t.name for t in model.inputs]
    except (AttributeError, ValueError):
        fm.keras_inputs = None
    if fm.keras_inputs:
        fm.tflite = _in_keras_order(fm.tflite, fm.keras_inputs)
        fm.inputs = tflite_inputs(fm.tflite)
    return fm
