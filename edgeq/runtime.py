"""One TFLite interpreter wrapper for everything in edgeq.

Evaluation, apps, benchmarks and the on-device agent all run models through
:class:`Interpreter`. It picks the first runtime that imports —
``ai_edge_litert`` (LiteRT), then ``tflite_runtime``, then ``tensorflow.lite`` —
selects the op resolver, loads delegates by name or path, and reports which
runtime and version it used.

This module must import with nothing but numpy and one runtime installed: the
on-device agent ships it to boards that have no TensorFlow and no edgeq.
"""
from __future__ import annotations

import base64
import contextlib
import importlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

try:  # the agent copies this file alone; the errors module may be absent there
    from .errors import DelegateError, EdgeqError, RuntimeNotFoundError
except ImportError:  # pragma: no cover - exercised on devices
    class EdgeqError(Exception):  # type: ignore[no-redef]
        exit_code = 2

    class RuntimeNotFoundError(EdgeqError):  # type: ignore[no-redef]
        pass

    class DelegateError(EdgeqError):  # type: ignore[no-redef]
        pass


RUNTIMES = ("ai-edge-litert", "tflite-runtime", "tensorflow")

#: resolver names users pass → OpResolverType member names.
#: "default" lets the runtime apply its default delegate (XNNPACK);
#: "builtin" is the optimized builtin kernels alone; "reference" the reference kernels.
RESOLVERS = {
    "default": "AUTO",
    "xnnpack": "AUTO",
    "builtin": "BUILTIN_WITHOUT_DEFAULT_DELEGATES",
    "reference": "BUILTIN_REF",
}

#: which kernels a resolver runs, for reports (JSON "path"): "default" is the runtime's default delegate, XNNPACK,
#: which requantizes in float and so may differ from the builtin/reference kernels (and edgeq's delegates) by steps
RESOLVER_PATHS = {"default": "xnnpack", "xnnpack": "xnnpack", "builtin": "builtin", "reference": "reference"}

#: delegates edgeq builds, by the name users give them.
DELEGATE_LIBS = {"cpu": "libedgeq_cpu", "gpu": "libedgeq_gpu", "mediapipe": "libedgeq_mediapipe"}
#: custom ops the ``mediapipe`` delegate runs (float): an Interpreter of a model that has them
#: adds that delegate by itself, as the runtime has no kernel for them
MEDIAPIPE_CUSTOM_OPS = ("Landmarks2TransformMatrix", "TransformTensorBilinear", "TransformLandmarks")


@dataclass(frozen=True)
class RuntimeInfo:
    """Which TFLite runtime is in use."""

    name: str  # one of RUNTIMES
    version: str
    interpreter_cls: Any = field(repr=False, compare=False)
    load_delegate: Any = field(repr=False, compare=False)
    resolver_enum: Any = field(repr=False, compare=False)

    def describe(self) -> str:
        return f"{self.name} {self.version}"


def _load_runtime(name: str) -> RuntimeInfo:
    if name == "ai-edge-litert":
        mod = importlib.import_module("ai_edge_litert.interpreter")
        pkg = importlib.import_module("ai_edge_litert")
        version = getattr(pkg, "__version__", None) or _dist_version("ai-edge-litert")
        return RuntimeInfo(name, version, mod.Interpreter, mod.load_delegate, mod.OpResolverType)
    if name == "tflite-runtime":
        mod = importlib.import_module("tflite_runtime.interpreter")
        pkg = importlib.import_module("tflite_runtime")
        version = getattr(pkg, "__version__", None) or _dist_version("tflite-runtime")
        return RuntimeInfo(name, version, mod.Interpreter, mod.load_delegate, mod.OpResolverType)
    if name == "tensorflow":
        tf = importlib.import_module("tensorflow")
        return RuntimeInfo(name, tf.__version__, tf.lite.Interpreter,
                           tf.lite.experimental.load_delegate, tf.lite.experimental.OpResolverType)
    raise EdgeqError(f"unknown runtime '{name}': choose one of {', '.join(RUNTIMES)}")


def _dist_version(dist: str) -> str:
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # noqa: BLE001 - version is informative only
        return "unknown"


_RUNTIME_CACHE: dict[str, RuntimeInfo] = {}


def find_runtime(prefer: str | None = None) -> RuntimeInfo:
    """Return the runtime to use: ``prefer`` (or ``$EDGEQ_RUNTIME``) if given, else the first that imports."""
    prefer = prefer or os.environ.get("EDGEQ_RUNTIME") or None
    order = [prefer] if prefer else list(RUNTIMES)
    errors = []
    for name in order:
        if name in _RUNTIME_CACHE:
            return _RUNTIME_CACHE[name]
        try:
            info = _load_runtime(name)
        except ImportError as e:
            errors.append(f"{name}: {e}")
            continue
        _RUNTIME_CACHE[name] = info
        return info
    if prefer:
        raise RuntimeNotFoundError(
            f"runtime '{prefer}' is not installed ({errors[0]}): pip install {prefer}")
    raise RuntimeNotFoundError(
        "no TFLite runtime found: pip install ai-edge-litert (or tflite-runtime, or tensorflow)")


def available_runtimes() -> list[RuntimeInfo]:
    """Every supported runtime that imports here."""
    found = []
    for name in RUNTIMES:
        try:
            found.append(find_runtime(name))
        except RuntimeNotFoundError:
            pass
    return found


def _native_dirs() -> list[Path]:
    """Where built delegate libraries may live, in search order."""
    dirs = []
    env = os.environ.get("EDGEQ_DELEGATE_DIR")
    if env:
        dirs.append(Path(env))
    here = Path(__file__).resolve().parent
    dirs.append(here / "_native")
    # editable installs keep Python files in the tree and built libraries in site-packages
    for p in sys.path:
        cand = Path(p or ".") / "edgeq" / "_native"
        if cand not in dirs:
            dirs.append(cand)
    return dirs


def delegate_path(name: str) -> Path:
    """Path of the edgeq delegate library called ``name`` (``cpu`` or ``gpu``)."""
    if name not in DELEGATE_LIBS:
        raise DelegateError(f"unknown delegate '{name}': choose one of {', '.join(DELEGATE_LIBS)} or give a path")
    stem = DELEGATE_LIBS[name]
    suffixes = (".so", ".dylib", ".dll")
    for d in _native_dirs():
        for suf in suffixes:
            cand = d / (stem + suf)
            if cand.is_file():
                return cand
    raise DelegateError(
        f"the edgeq '{name}' delegate ({stem}.so) is not built: reinstall with 'pip install .' "
        f"(needs cmake and a C compiler) or set EDGEQ_DELEGATE_DIR to the folder that holds it")


def resolve_delegate(spec: str | os.PathLike) -> Path:
    """A delegate given by name (``cpu``, ``gpu``) or by path to a shared library."""
    s = str(spec)
    if s in DELEGATE_LIBS:
        return delegate_path(s)
    p = Path(s)
    if not p.is_file():
        raise DelegateError(f"delegate library '{s}' not found: give 'cpu', 'gpu' or the path of a .so")
    return p


@dataclass(frozen=True)
class TensorSpec:
    """An input or output of a model as the interpreter sees it."""

    name: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.scale != 0.0 and np.issubdtype(self.dtype, np.integer)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float values → this tensor's storage type (identity for float tensors)."""
        x = np.asarray(x)
        if not self.quantized:
            return x.astype(self.dtype)
        info = np.iinfo(self.dtype)
        q = np.round(x.astype(np.float64) / self.scale) + self.zero_point
        return np.clip(q, info.min, info.max).astype(self.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """This tensor's storage values → float32."""
        q = np.asarray(q)
        if not self.quantized:
            return q.astype(np.float32)
        return ((q.astype(np.float64) - self.zero_point) * self.scale).astype(np.float32)


def _has_custom_ops(model: bytes | str | os.PathLike, names: Sequence[str]) -> bool:
    """Whether the model names any of these custom op codes (a byte search: the codes are stored
    as plain strings among the operator codes, and a false hit only loads a delegate that claims
    nothing)."""
    data = bytes(model) if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    return any(n.encode() in data for n in names)


def _has_runtime_shapes(runtime: Any, kwargs: Mapping[str, Any]) -> bool:
    """Whether an input or output has a -1 in its shape signature (sizes known only at run time, e.g. a dynamic
    batch), asked of the runtime itself on the model without delegates (no flatbuffers on a device)."""
    try:
        plain = {k: v for k, v in kwargs.items() if k in ("model_content", "model_path")}
        it = runtime.interpreter_cls(**plain)
        details = list(it.get_input_details()) + list(it.get_output_details())
    except Exception:  # noqa: BLE001 - only refines a message
        return False
    return any(int(d) < 0 for t in details for d in t.get("shape_signature", ()))


def _spec(d: Mapping[str, Any]) -> TensorSpec:
    scale, zp = d.get("quantization", (0.0, 0))
    return TensorSpec(d["name"], int(d["index"]), tuple(int(s) for s in d["shape"]),
                      np.dtype(d["dtype"]), float(scale), int(zp))


def parse_delegate_options(items: Sequence[str], command: str, reserved: Sequence[str] = ()) -> dict[str, str]:
    """``KEY=VALUE`` items of a ``--delegate-option`` flag as a dict; ``reserved`` keys are set by ``command``."""
    opts: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise EdgeqError(f"--delegate-option '{item}' is not KEY=VALUE: write e.g. --delegate-option ops=CONV_2D,ADD")
        opts[key.strip()] = value
    for key in reserved:
        if key in opts:
            raise EdgeqError(f"--delegate-option {key} is set by {command} itself: leave it out")
    return opts


#: the runtime's notices that say nothing the user asked about, dropped from stderr while an interpreter is built:
#: LiteRT's C++ logger prints this one at INFO whatever TF_CPP_MIN_LOG_LEVEL says (`edgeq convert` showed it above
#: its own output); every other line the runtime writes there (warnings, errors) is passed on as written
RUNTIME_NOTICES = (b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)


@contextlib.contextmanager
def _without_runtime_notices():
    """Hold what native code writes to file descriptor 2 in a temporary file, then write it back minus
    RUNTIME_NOTICES lines. Where descriptor 2 cannot be redirected, nothing is filtered."""
    saved = held = None
    try:
        sys.stderr.flush()
        held = tempfile.TemporaryFile()
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
    except (OSError, ValueError, AttributeError):
        if saved is not None:
            os.close(saved)
        if held is not None:
            held.close()
        yield
        return
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        held.seek(0)
        text = held.read()
        held.close()
        kept = [ln for ln in text.splitlines(keepends=True) if ln.rstrip(b"\r\n") not in RUNTIME_NOTICES]
        if kept:
            os.write(2, b"".join(kept))


#: a float model of one ADD (x + x on [1]), made with tf.lite from a tf.function and stripped of its metadata. LiteRT
#: prints its XNNPACK notice once per process: building this model first on the default path, with stderr held, uses
#: that once up, so the user's model is built with stderr as it is (a kernel that prints its reason and aborts while
#: the model is prepared -- the builtin kernels run on the default path too, for ops XNNPACK does not take -- keeps it)
_NOTICE_MODEL = (
    "GAAAAFRGTDMAAA4AFAAQAAwACAAAAAQADgAAABAAAADAAAAA0AEAAAMAAAAFAAAArAAAAKQAAACcAAAAfAAAAAQAAACS////BAAA"
    "AGAAAAAQAAAAAAAAAAgADgAIAAQACAAAABAAAAAkAAAAAAAGAAgABAAGAAAABAAAAAAAAAAMABgAFAAQAAwABAAMAAAAxDJbGn6G"
    "HxMDAAAAAgAAAAQAAAAGAAAAMi4yMS4wAAAAAAYACAAEAAYAAAAEAAAAEAAAADEuNS4wAAAAAAAAAAAAAADY/v//3P7//+D+//8B"
    "AAAAFAAAAAAADgAYABQAEAAMAAgABAAOAAAAFAAAABwAAABcAAAAYAAAAGQAAAAEAAAAbWFpbgAAAAABAAAAFAAAAAAADgAUAAAA"
    "EAAMAAsABAAOAAAAEAAAAAAAAAsMAAAAEAAAAEz///8BAAAAAQAAAAIAAAAAAAAAAAAAAAEAAAABAAAAAQAAAAAAAAACAAAAVAAA"
    "AAQAAADK////AAAAARAAAAAQAAAAAgAAABgAAACY////CAAAAElkZW50aXR5AAAAAAEAAAABAAAAAAAWABgAFAAAABAADAAIAAAA"
    "AAAAAAcAFgAAAAAAAAEQAAAAEAAAAAEAAAAQAAAA5P///wEAAAB4AAAAAQAAAAEAAAABAAAACAAAAAQABAAEAAAA"
)
_announced: set[str] = set()


def _announce_default_delegate_quietly(runtime: RuntimeInfo) -> None:
    """Make ``runtime`` print its once-per-process default-delegate notice into a held stderr (see _NOTICE_MODEL)."""
    if runtime.name in _announced:
        return
    _announced.add(runtime.name)
    try:
        with _without_runtime_notices():
            it = runtime.interpreter_cls(model_content=base64.b64decode("".join(_NOTICE_MODEL)),
                                         experimental_op_resolver_type=runtime.resolver_enum.AUTO)
            it.allocate_tensors()
    except Exception:  # noqa: BLE001 - only a notice is at stake: the user's model is built next, as it is
        pass


class Interpreter:
    """A TFLite model ready to run.

    ``model``: a path or the model bytes. ``resolver``: ``default`` (the runtime's
    default path, XNNPACK on CPU), ``builtin`` (optimized builtin kernels, no default
    delegate) or ``reference`` (TFLite's reference kernels, edgeq's correctness oracle).
    ``delegates``: names (``cpu``, ``gpu``) or library paths, loaded in order, with
    ``delegate_options`` (string key/values) passed to each.
    """

    def __init__(self, model: bytes | str | os.PathLike, *, resolver: str = "default",
                 delegates: Sequence[str | os.PathLike] = (), delegate_options: Mapping[str, Any] | None = None,
                 num_threads: int | None = None, runtime: str | None = None,
                 preserve_all_tensors: bool = False):
        self.runtime = find_runtime(runtime)
        if resolver not in RESOLVERS:
            raise EdgeqError(f"unknown resolver '{resolver}': choose one of {', '.join(RESOLVERS)}")
        self.resolver = resolver
        delegates = list(delegates)
        if "mediapipe" not in delegates and _has_custom_ops(model, MEDIAPIPE_CUSTOM_OPS):
            delegates.append("mediapipe")
        self.delegate_paths = [resolve_delegate(d) for d in delegates]
        opts = {str(k): str(v) for k, v in (delegate_options or {}).items()}
        self._delegates = []
        for given, p in zip(delegates, self.delegate_paths):
            # the mediapipe delegate takes no options: the ones given are for edgeq-cpu/gpu beside it (edgeq profile
            # --delegate cpu of a face-mesh model failed with "unknown option 'report_path': this delegate takes none")
            mine = {} if Path(p).name.startswith(DELEGATE_LIBS["mediapipe"] + ".") else opts
            try:
                self._delegates.append(self.runtime.load_delegate(str(p), mine))
            except (ValueError, RuntimeError, OSError) as e:
                # the runtimes put the delegate's own reason on the last line
                lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
                detail = lines[-1] if lines else type(e).__name__
                # edgeq's own, by name: its file name (a profiling agent's copy lives in a temporary folder that is
                # gone by the time the message is read); a library the caller gave by path: that path
                where = Path(p).name if str(given) in DELEGATE_LIBS else str(p)
                raise DelegateError(f"delegate {where} failed to load: {detail}") from None
        kwargs: dict[str, Any] = {
            "experimental_op_resolver_type": getattr(self.runtime.resolver_enum, RESOLVERS[resolver]),
        }
        if isinstance(model, (bytes, bytearray)):
            kwargs["model_content"] = bytes(model)
        else:
            kwargs["model_path"] = str(model)
        if self._delegates:
            kwargs["experimental_delegates"] = self._delegates
        if num_threads is not None:
            kwargs["num_threads"] = int(num_threads)
        if preserve_all_tensors:
            kwargs["experimental_preserve_all_tensors"] = True
        try:
            # the default path announces its delegate once per process: used up beforehand on a model of one ADD, so
            # stderr stays as it is while this model is built (what a kernel prints before it aborts -- the
            # reference SOFTMAX in Prepare -- would die with a held copy)
            if RESOLVERS[resolver] == "AUTO":
                _announce_default_delegate_quietly(self.runtime)
            self._interp = self.runtime.interpreter_cls(**kwargs)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            static_only = [Path(p).name for p in self.delegate_paths
                           if Path(p).name.startswith(DELEGATE_LIBS["gpu"] + ".")]
            if static_only and not str(e).strip() and _has_runtime_shapes(self.runtime, kwargs):
                # LiteRT refuses a delegate without kTfLiteDelegateFlagsAllowDynamicTensors on such a graph and
                # raises a RuntimeError with no words (its reason went to stderr as a WARNING)
                raise EdgeqError(f"the runtime ({self.runtime.describe()}) refuses delegate {static_only[0]} on this "
                                 "model: it has run-time shapes (a dynamic batch, shape signature -1), and the gpu "
                                 "delegate takes static shapes only: convert it with edgeq convert (batch 1, static "
                                 "shapes), or use the cpu delegate, which takes them") from None
            raise EdgeqError(f"the runtime ({self.runtime.describe()}) cannot load this model: {first}") from None
        self.inputs = [_spec(d) for d in self._interp.get_input_details()]
        self.outputs = [_spec(d) for d in self._interp.get_output_details()]

    @property
    def raw(self) -> Any:
        """The underlying runtime interpreter."""
        return self._interp

    def run(self, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Run once on inputs in storage type (already quantized); return raw outputs."""
        if isinstance(inputs, Mapping):
            inputs = [inputs[s.name] for s in self.inputs]
        if len(inputs) != len(self.inputs):
            raise EdgeqError(f"model has {len(self.inputs)} inputs, got {len(inputs)}")
        for spec, x in zip(self.inputs, inputs):
            x = np.asarray(x)
            # the shape the input has now (an earlier run may have resized it)
            if tuple(x.shape) != self._interp.get_tensor(spec.index).shape:
                self._interp.resize_tensor_input(spec.index, list(x.shape))
                self._interp.allocate_tensors()
            self._interp.set_tensor(spec.index, x.astype(spec.dtype, copy=False))
        self._interp.invoke()
        return [self._interp.get_tensor(s.index).copy() for s in self.outputs]

    def run_float(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run on float inputs, quantizing them and dequantizing outputs as the model's I/O needs."""
        q = [s.quantize(x) for s, x in zip(self.inputs, inputs)]
        return [s.dequantize(y) for s, y in zip(self.outputs, self.run(q))]

    def tensor(self, index: int) -> np.ndarray:
        """Any tensor by index (intermediates need ``preserve_all_tensors=True``)."""
        return self._interp.get_tensor(index)

    def tensor_details(self) -> list[dict]:
        return self._interp.get_tensor_details()

    def describe(self) -> dict:
        """What ran: runtime, version, resolver and delegates, for reports."""
        return {"runtime": self.runtime.name, "version": self.runtime.version,
                "resolver": self.resolver, "delegates": [str(p) for p in self.delegate_paths]}
