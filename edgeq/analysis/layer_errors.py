"""Per-layer quantization error: where does the int8 model depart from the float one?

Both models run on the same samples with every intermediate tensor kept. Each
quantized op output is matched by tensor name to the float op output it replaces
(the converter keeps names), dequantized, and compared: SQNR, RMSE in units of
the tensor's quantization step, cosine similarity. Layers are ranked by the SQNR
they *lose* (input SQNR minus output SQNR), which points at the op that causes
the error rather than every op downstream of it that inherits it.

``edgeq debug`` (:mod:`edgeq.analysis.cli`) prints it; :mod:`.debug_report` renders it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from ..errors import EdgeqError
from ..layer_names import op_layer_names
from ..runtime import Interpreter
from ..tflite_schema import op_name, read_model, tensor_name

if TYPE_CHECKING:
    from .sensitivity import LayerSensitivity

_SKIP_OPS = {"QUANTIZE", "DEQUANTIZE"}  # format conversions, not layers
_FLOAT32 = 0  # TensorType.FLOAT32
_INT8 = 9  # TensorType.INT8


@dataclass
class LayerError:
    """Error of one quantized op output against its float counterpart."""

    layer: str
    op: str
    tensor: str
    sqnr_db: float  # 10*log10(signal power / error power); inf when identical
    input_sqnr_db: float  # SQNR of the op's inputs: what it inherited
    rmse_over_scale: float  # RMSE in quantization steps (≈0.29 is pure rounding)
    cosine: float

    @property
    def sqnr_drop_db(self) -> float:
        """dB this op loses itself; 0 when it only passes inherited error on (NaN: inputs unknown)."""
        if math.isinf(self.input_sqnr_db) and math.isinf(self.sqnr_db):
            return 0.0
        return self.input_sqnr_db - self.sqnr_db


@dataclass
class DebugReport:
    layers: list[LayerError]  # worst first
    unmatched: list[str] = field(default_factory=list)  # quantized op outputs with no float tensor
    samples: int = 0
    sensitivity: list[LayerSensitivity] | None = None  # most sensitive first, when asked for
    notes: list[str] = field(default_factory=list)  # how the comparison ran, where it is not the default

    def to_dict(self) -> dict:
        def num(v: float) -> float | None:
            return None if not math.isfinite(v) else round(float(v), 4)
        rows = []
        for e in self.layers:
            d = asdict(e)
            d["sqnr_drop_db"] = e.sqnr_drop_db
            rows.append({k: (num(v) if isinstance(v, float) else v) for k, v in d.items()})
        out = {"samples": self.samples, "layers": rows, "unmatched": self.unmatched, "notes": self.notes}
        if self.sensitivity is not None:
            out["sensitivity"] = [{k: (num(v) if isinstance(v, float) else v) for k, v in asdict(r).items()}
                                  for r in self.sensitivity]
        return out


class _Acc:
    """Running sums for one float/quantized tensor pair."""

    __slots__ = ("ref2", "err2", "dot", "got2", "n")

    def __init__(self) -> None:
        self.ref2 = self.err2 = self.dot = self.got2 = 0.0
        self.n = 0

    def add(self, ref: np.ndarray, got: np.ndarray) -> None:
        ref = ref.astype(np.float64).ravel()
        got = got.astype(np.float64).ravel()
        self.ref2 += float(ref @ ref)
        self.got2 += float(got @ got)
        self.dot += float(ref @ got)
        d = ref - got
        self.err2 += float(d @ d)
        self.n += ref.size

    def sqnr(self) -> float:
        if self.err2 == 0.0:
            return math.inf
        return 10.0 * math.log10(max(self.ref2, 1e-30) / self.err2)


def _dequant(t: Any, q: np.ndarray) -> tuple[np.ndarray, float]:
    """Quantized tensor values → float, plus its (first) scale."""
    qp = t.quantization
    scale = np.asarray(qp.scale, dtype=np.float64)
    zp = np.asarray(qp.zeroPoint, dtype=np.float64)
    if scale.size > 1:  # per-axis activations do not occur in TFLite; keep it exact anyway
        shape = [1] * q.ndim
        shape[qp.quantizedDimension] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (q.astype(np.float64) - zp) * scale, float(scale.ravel()[0])


def compare_layers(float_model: bytes, quant_model: bytes, samples: Iterable[Sequence[np.ndarray]], *,
                   known_layers: Sequence[str] | None = None, resolver: str = "reference") -> DebugReport:
    """Per-op error of ``quant_model`` against ``float_model`` over ``samples`` (batch-1 float lists)."""
    fm = read_model(float_model, "float model")
    qm = read_model(quant_model, "quantized model")
    fsg, qsg = fm.subgraphs[0], qm.subgraphs[0]
    float_by_name = {tensor_name(t): i for i, t in enumerate(fsg.tensors)}
    # a QUANTIZE/DEQUANTIZE output stands for its input (float-I/O models quantize the input first)
    for op in qsg.operators or []:
        if op_name(qm, op) in _SKIP_OPS and op.inputs[0] >= 0:
            src = float_by_name.get(tensor_name(qsg.tensors[op.inputs[0]]))
            if src is not None:
                float_by_name.setdefault(tensor_name(qsg.tensors[op.outputs[0]]), src)
    # an int16 island's tensors (edgeq.quantize.int16_islands) are 'NAME/int16', the 16-bit twin of NAME
    for t in qsg.tensors:
        name = tensor_name(t)
        if name.endswith("/int16") and name[:-len("/int16")] in float_by_name:
            float_by_name.setdefault(name, float_by_name[name[:-len("/int16")]])
    names = op_layer_names(qm, known_layers)
    pairs: list[tuple[int, int, int, list[tuple[int, int]]]] = []  # (op, q tensor, f tensor, inputs)
    unmatched: list[str] = []
    for k, op in enumerate(qsg.operators or []):
        if op_name(qm, op) in _SKIP_OPS:
            continue
        for o in (int(i) for i in op.outputs if i >= 0):
            t = qsg.tensors[o]
            if t.quantization is None or t.quantization.scale is None or len(t.quantization.scale) == 0:
                continue  # float or shape tensors: nothing quantized to compare
            f = float_by_name.get(tensor_name(t))
            if f is None:
                unmatched.append(tensor_name(t))
                continue
            ins = [(int(i), float_by_name.get(tensor_name(qsg.tensors[i]), -1)) for i in op.inputs if i >= 0]
            # only float activations: shape/index tensors are exact and would swamp the input SQNR
            ins = [(qi, fi) for qi, fi in ins
                   if fi >= 0 and fsg.tensors[fi].type == _FLOAT32 and _is_activation(qm, qsg.tensors[qi])]
            pairs.append((k, o, f, ins))
    if not pairs:
        raise EdgeqError("the quantized model shares no tensor names with the float model: give the int8 model "
                         "that was converted from this float model")
    notes = []
    why = reference_aborts(qm) if resolver == "reference" else None
    if why:  # the reference kernel would abort the whole process: the builtin kernels run the int8 model instead
        resolver = "builtin"
        notes.append(f"the integer model ran on LiteRT's builtin kernels: its reference kernels abort on {why}")
    fi = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    qi = Interpreter(quant_model, resolver=resolver, preserve_all_tensors=True)
    outs = {(k, o): _Acc() for k, o, _, _ in pairs}
    ins_acc = {(k, o): _Acc() for k, o, _, _ in pairs}
    n = 0
    for sample in samples:
        sample = [np.asarray(x, dtype=np.float32) for x in sample]
        fi.run_float(sample)
        qi.run_float(sample)
        for k, o, f, ins in pairs:
            got, _ = _dequant(qsg.tensors[o], qi.tensor(o))
            outs[(k, o)].add(fi.tensor(f), got)
            for qin, fin in ins:
                ins_acc[(k, o)].add(fi.tensor(fin), _value(qsg.tensors[qin], qi.tensor(qin)))
        n += 1
    if n == 0:
        raise EdgeqError("no samples to compare on: give a data file with at least one sample")
    rows = []
    for k, o, f, ins in pairs:
        a = outs[(k, o)]
        t = qsg.tensors[o]
        scale = float(np.asarray(t.quantization.scale).ravel()[0])
        rmse = math.sqrt(a.err2 / max(a.n, 1))
        cos = a.dot / math.sqrt(a.ref2 * a.got2) if a.ref2 > 0 and a.got2 > 0 else (1.0 if a.err2 == 0 else 0.0)
        in_sqnr = ins_acc[(k, o)].sqnr() if ins else math.nan  # unknown: listed after the ranked ops
        layer = names[k] or tensor_name(t)
        if layer.startswith("StatefulPartitionedCall"):  # signature output names say nothing about the layer
            layer = f"model output ({op_name(qm, qsg.operators[k]).lower()})"
        rows.append(LayerError(layer, op_name(qm, qsg.operators[k]), tensor_name(t),
                               a.sqnr(), in_sqnr, rmse / scale if scale else math.inf, cos))
    # worst first: largest finite loss; an infinite loss (exact input, broken output) beats any
    # finite one; ops whose inputs could not be matched go last, by their own SQNR
    rows.sort(key=lambda r: (math.isnan(r.sqnr_drop_db), -r.sqnr_drop_db if not math.isnan(r.sqnr_drop_db) else 0.0,
                             r.sqnr_db))
    return DebugReport(rows, unmatched, n, notes=notes)


def reference_aborts(m: Any) -> str | None:
    """Which op of the parsed model LiteRT's reference kernels abort the process on, or None: an int8 SOFTMAX
    with input scale x beta <= 2^-26 (PreprocessSoftmaxScaling's multiplier must exceed one; random-weight heads
    and near-constant logits calibrate to such scales)."""
    sg = m.subgraphs[0]
    for k, op in enumerate(sg.operators or []):
        if op_name(m, op) != "SOFTMAX" or not op.inputs or op.inputs[0] < 0:
            continue
        t = sg.tensors[op.inputs[0]]
        q = t.quantization
        if t.type != _INT8 or q is None or q.scale is None or len(q.scale) == 0:
            continue
        beta = float(getattr(op.builtinOptions, "beta", 1.0) or 1.0)
        if beta * float(np.asarray(q.scale).ravel()[0]) * 2.0 ** 26 <= 1.0:
            return f"SOFTMAX #{k} (tensor '{tensor_name(t)}'): input scale x beta <= 2^-26"
    return None


def _is_activation(m: Any, t: Any) -> bool:
    buf = m.buffers[t.buffer] if t.buffer is not None and t.buffer < len(m.buffers) else None
    return not (buf is not None and buf.data is not None and len(buf.data) > 0)


def _value(t: Any, v: np.ndarray) -> np.ndarray:
    q = t.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0 and np.issubdtype(v.dtype, np.integer):
        return _dequant(t, v)[0]
    return v.astype(np.float64)
