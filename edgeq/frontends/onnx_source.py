"""ONNX in: an ``.onnx`` file → a float TFLite model, checked against onnxruntime before quantization.

onnx2tf does the translation (to a tf_keras model). edgeq folds constants first (onnxscript's
optimizer, which keeps node names; onnx2tf trips on shape arithmetic left unfolded), keeps the
model's own channel-first layout at the inputs and outputs, names every TFLite tensor after the
ONNX node that made it, and refuses a float model that does not reproduce onnxruntime's output:
quantizing a wrong float model would only hide the error.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import io
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ModelError
from .extras import need
from .names import rename_tensors

#: the float model must match onnxruntime at least this well (float32 round-off gives > 100 dB)
MATCH_DB = 40.0

NCHW_HINT = {"layout": "nchw", "layout_why": "the ONNX model's inputs are channels first (NCHW); edgeq keeps them"}


def from_onnx(path: Path):
    """An ONNX file with static input sizes (a dynamic batch is fixed to 1)."""
    from ..model_source import FloatModel, tflite_inputs

    onnx = need("onnx", "onnx", "converting an ONNX model")
    need("onnxruntime", "onnx", "converting an ONNX model")
    need("onnx2tf", "onnx", "converting an ONNX model")
    try:  # external data files (torch's dynamo exporter writes .onnx.data) are read by onnx, which confines them
        model = onnx.load(str(path), load_external_data=False)
        data_files = sorted({e.value for t in model.graph.initializer for e in t.external_data if e.key == "location"})
        onnx.external_data_helper.load_external_data_for_model(model, str(path.parent))
    except Exception as e:  # noqa: BLE001 - protobuf raises DecodeError, a missing data file OSError
        raise ModelError(f"'{path}' is not a readable ONNX model ({_first_line(e)}): re-export it") from None
    if not len(model.graph.node):
        raise ModelError(f"'{path}' has no nodes: re-export the model")
    _static_inputs(model, path)
    _supported_ops(model, path)
    model = _fold(model, path)
    names = {n.name.replace(":", "__"): n.name for n in model.graph.node}  # onnx2tf's renaming, undone
    keras_model, layer_node = _to_keras(model, path, names)
    x = _probe_inputs(model)
    ref = _onnxruntime(model, x)
    data = _to_tflite(keras_model, x, ref, path)
    _verify(data, x, ref, model, path)
    data, _ = rename_tensors(data, _layer_of(layer_node))
    digest, size = _hash([path] + [path.parent / f for f in data_files])
    hint = dict(NCHW_HINT) if any(len(a.shape) == 4 for a in x) else {}  # as the PyTorch front end says
    nodes = [n.name for n in model.graph.node if n.name]
    return FloatModel(data, "onnx", str(path), digest, size, nodes, tflite_inputs(data), image_hint=hint)


def _hash(files: list[Path]) -> tuple[str, int]:
    """sha256 over the .onnx file and the external data files it names, and their total size."""
    h = hashlib.sha256()
    total = 0
    for f in files:
        raw = f.read_bytes()
        h.update(raw)
        total += len(raw)
    return h.hexdigest(), total


def _graph_inputs(model: Any) -> list:
    init = {i.name for i in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in init]


def _static_inputs(model: Any, path: Path) -> None:
    """A dynamic batch becomes 1 (edge models run one sample at a time); other dynamic sizes are refused."""
    from onnx import TensorProto

    for inp in _graph_inputs(model):
        tt = inp.type.tensor_type
        if tt.elem_type != TensorProto.FLOAT:
            raise ModelError(f"'{path}' input '{inp.name}' is not float32: edgeq converts models with float inputs")
        for k, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            if k == 0:
                d.Clear()
                d.dim_value = 1
                continue
            dims = [x.dim_value if x.HasField("dim_value") else (x.dim_param or "?") for x in tt.shape.dim]
            raise ModelError(f"'{path}' input '{inp.name}' has dynamic sizes {dims}: export with static shapes "
                             "(torch.onnx.export without dynamic_axes / dynamic_shapes)")


def _supported_ops(model: Any, path: Path) -> None:
    """Ops onnx2tf has no translation for, named with their node before onnx2tf starts."""
    for node in model.graph.node:
        custom = node.domain not in ("", "ai.onnx")
        if custom or importlib.util.find_spec(f"onnx2tf.ops.{node.op_type}") is None:
            op = f"{node.domain}.{node.op_type}" if custom else node.op_type
            raise ModelError(f"onnx2tf cannot convert '{path}': no TFLite translation for ONNX op {op} in node "
                             f"'{node.name}'; replace it with standard ONNX ops, or keep that part outside the model")


def _fold(model: Any, path: Path) -> Any:
    from onnxscript import optimizer

    try:
        with _quiet():
            return optimizer.optimize(model)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot fold the constants of '{path}': {_first_line(e)} (check it with onnx.checker)") \
            from None


def _to_keras(model: Any, path: Path, names: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """onnx2tf's tf_keras model, and the ONNX node each of its Keras layers was made for."""
    import onnx2tf

    keep = [i.name for i in _graph_inputs(model) if len(i.type.tensor_type.shape.dim) >= 3]
    layer_node: dict[str, str] = {}
    current: list[str | None] = [None]
    try:
        with _track_layers(model, layer_node, names, current), _quiet(), \
                tempfile.TemporaryDirectory(prefix="edgeq-onnx2tf-") as tmp:
            km = onnx2tf.convert(onnx_graph=model, output_folder_path=tmp, non_verbose=True, verbosity="error",
                                 keep_ncw_or_nchw_or_ncdhw_input_names=keep or None, disable_model_save=True)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - onnx2tf raises anything, or exits
        node = names.get(str(getattr(e, "onnx_op_name", "") or ""), None) or current[0]
        op = next((n.op_type for n in model.graph.node if n.name == node), None)
        where = f" at node '{node}' ({op})" if node else ""
        raise ModelError(f"onnx2tf cannot convert '{path}'{where}: {_first_line(e)}; replace that op with standard "
                         "ONNX ops or re-export the model with another opset") from None
    return km, layer_node


@contextlib.contextmanager
def _track_layers(model: Any, layer_node: dict[str, str], names: dict[str, str], current: list):
    """Wrap each op module's ``make_node``: the Keras layers behind a node's outputs that no earlier
    node claimed were made for that node (onnx2tf translates nodes in topological order)."""
    mods = {op: importlib.import_module(f"onnx2tf.ops.{op}") for op in {n.op_type for n in model.graph.node}}
    originals = {op: m.make_node for op, m in mods.items()}

    def wrap(make: Callable) -> Callable:
        def make_node(*args: Any, graph_node: Any = None, tf_layers_dict: dict | None = None, **kw: Any) -> Any:
            name = names.get(graph_node.name, graph_node.name)
            current[0] = name
            out = make(*args, graph_node=graph_node, tf_layers_dict=tf_layers_dict, **kw)
            for o in graph_node.outputs:
                _claim((tf_layers_dict or {}).get(o.name, {}).get("tf_node"), name, layer_node)
            return out
        return make_node

    for op, m in mods.items():
        m.make_node = wrap(originals[op])
    try:
        yield
    finally:
        for op, m in mods.items():
            m.make_node = originals[op]


def _claim(tensor: Any, node: str, layer_node: dict[str, str]) -> None:
    stack = [tensor]
    while stack:
        t = stack.pop()
        hist = getattr(t, "_keras_history", None)
        if hist is None:
            continue
        layer = hist[0]
        if layer.name in layer_node or type(layer).__name__ == "InputLayer":
            continue
        layer_node[layer.name] = node
        inbound = layer._inbound_nodes[hist[1]]
        stack.extend(getattr(inbound, "keras_inputs", []) or [])


def _layer_of(layer_node: dict[str, str]) -> Callable[[str], str | None]:
    """A TFLite tensor name (``model/tf.nn.convolution_3/convolution;...``) → its ONNX node; the last
    fused scope that names one wins (the conv of a conv + bias + ReLU)."""
    def layer_of(name: str) -> str | None:
        found = None
        for part in name.split(";"):
            for level in part.split("/"):
                if level in layer_node:
                    found = layer_node[level]
                    break
        return found
    return layer_of


def _probe_inputs(model: Any) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=[d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
            for i in _graph_inputs(model)]


def _onnxruntime(model: Any, x: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), x)})


def _channel_first(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, -1, 1)


def _wants_channel_first(got: np.ndarray, ref: np.ndarray) -> bool:
    """onnx2tf left this output channels-last: only that reading has onnxruntime's shape, or, where both do
    (a square shape), it is the one that matches onnxruntime's values."""
    from ..analysis.evaluate import sqnr_db

    if got.ndim < 3 or _channel_first(got).shape != ref.shape:
        return False
    return got.shape != ref.shape or sqnr_db(ref, _channel_first(got)) > sqnr_db(ref, got)


def _to_tflite(km: Any, x: list[np.ndarray], ref: list[np.ndarray], path: Path) -> bytes:
    """TFLite builtins only; an output onnx2tf left channels-last is transposed back to the ONNX layout."""
    import tensorflow as tf

    got = km(x if len(x) > 1 else x[0], training=False)
    got = [np.asarray(g) for g in (got if isinstance(got, (list, tuple)) else [got])]
    back = [_wants_channel_first(g, r) for g, r in zip(got, ref)]
    specs = [tf.TensorSpec(a.shape, tf.float32, name=i.name.split(":")[0]) for a, i in zip(x, km.inputs)]

    @tf.function(input_signature=specs)
    def serve(*args):
        out = km(list(args) if len(args) > 1 else args[0], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        perm = lambda n: [0, n - 1, *range(1, n - 1)]  # noqa: E731
        return [tf.transpose(o, perm(len(o.shape))) if b else o for o, b in zip(out, back)]

    try:
        with _quiet():
            conv = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            return conv.convert()
    except Exception as e:  # noqa: BLE001
        from ..model_source import _first_line as tf_line

        raise ModelError(f"TensorFlow cannot convert the onnx2tf translation of '{path}' to TFLite builtins: "
                         f"{tf_line(e)} (replace the op it names with standard ONNX ops)") from None


def _verify(data: bytes, x: list[np.ndarray], ref: list[np.ndarray], model: Any, path: Path) -> None:
    from ..analysis.evaluate import sqnr_db
    from ..runtime import Interpreter

    got = Interpreter(data, resolver="builtin").run_float(x)
    outs = [o.name for o in model.graph.output]
    for name, g, r in zip(outs, got, ref):
        if g.shape != r.shape:
            raise ModelError(f"onnx2tf changed output '{name}' of '{path}' from {list(r.shape)} to {list(g.shape)}: "
                             "edgeq cannot map it back; please report the model")
        db = sqnr_db(r, g)
        if not db >= MATCH_DB:
            raise ModelError(f"onnx2tf's float translation of '{path}' disagrees with onnxruntime on output '{name}' "
                             f"(SQNR {db:.1f} dB, needs {MATCH_DB:.0f}): not quantizing a wrong float model; export "
                             "it to a PyTorch .pt2 or a SavedModel instead")


def _first_line(e: BaseException) -> str:
    for line in str(e).splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return type(e).__name__


@contextlib.contextmanager
def _quiet():
    """onnx2tf and the optimizer print progress and warnings: keep them off edgeq's output."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield
