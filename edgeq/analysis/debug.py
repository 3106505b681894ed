"""Per-layer quantization error: where does the int8 model depart from the float one?

Both models run on the same samples with every intermediate tensor kept. Each
quantized op output is matched by tensor name to the float op output it replaces
(the converter keeps names), dequantized, and compared: SQNR, RMSE in units of
the tensor's quantization step, cosine similarity. Layers are ranked by the SQNR
they *lose* (input SQNR minus output SQNR), which points at the op that causes
the error rather than every op downstream of it that inherits it.

CLI: ``edgeq debug FLOAT_MODEL QUANT_MODEL --data DATA [--json] [-o report.html]``.
"""
from __future__ import annotations

import html
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import click
import numpy as np

from ..errors import EdgeqError, ModelError
from ..runtime import Interpreter
from ..tflite_schema import op_name, read_model, tensor_name

try:  # the lead's module; the fallback below keeps this file usable without it
    from ..layer_names import op_layer_names
except ImportError:  # pragma: no cover
    def op_layer_names(model: Any, known_layers: Sequence[str] | None = None, subgraph: int = 0) -> list[str]:
        m = read_model(model) if isinstance(model, (bytes, bytearray)) else model
        sg = m.subgraphs[subgraph]
        out = []
        for op in sg.operators:
            parts = tensor_name(sg.tensors[op.outputs[0]]).split(";")[0].split("/")
            out.append(parts[1].rsplit("_", 1)[0] if len(parts) > 2 else parts[0])
        return out

_SKIP_OPS = {"QUANTIZE", "DEQUANTIZE"}  # format conversions, not layers
_FLOAT32 = 0  # TensorType.FLOAT32


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
    sensitivity: list[Any] | None = None  # LayerSensitivity, most sensitive first, when asked for

    def to_dict(self) -> dict:
        def num(v: float) -> float | None:
            return None if not math.isfinite(v) else round(float(v), 4)
        rows = []
        for e in self.layers:
            d = asdict(e)
            d["sqnr_drop_db"] = e.sqnr_drop_db
            rows.append({k: (num(v) if isinstance(v, float) else v) for k, v in d.items()})
        out = {"samples": self.samples, "layers": rows, "unmatched": self.unmatched}
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
    return DebugReport(rows, unmatched, n)


def _is_activation(m: Any, t: Any) -> bool:
    buf = m.buffers[t.buffer] if t.buffer is not None and t.buffer < len(m.buffers) else None
    return not (buf is not None and buf.data is not None and len(buf.data) > 0)


def _value(t: Any, v: np.ndarray) -> np.ndarray:
    q = t.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0 and np.issubdtype(v.dtype, np.integer):
        return _dequant(t, v)[0]
    return v.astype(np.float64)


# ---------------------------------------------------------------- output


def format_table(report: DebugReport, limit: int | None = None) -> str:
    head = f"{'layer':<28} {'op':<18} {'SQNR dB':>8} {'lost dB':>8} {'RMSE/step':>9} {'cosine':>8}"
    lines = [head, "-" * len(head)]
    for r in report.layers[:limit]:
        lines.append(f"{r.layer[:28]:<28} {r.op[:18]:<18} {r.sqnr_db:8.2f} {r.sqnr_drop_db:8.2f} "
                     f"{r.rmse_over_scale:9.3f} {r.cosine:8.5f}")
    if report.unmatched:
        lines.append(f"unmatched quantized tensors (no float counterpart): {', '.join(report.unmatched)}")
    if report.sensitivity is not None:
        lines += ["", "sensitivity: model output with only this layer in int8, most sensitive first",
                  f"{'layer':<28} {'ops':>4} {'SQNR dB':>8} {'top-1 %':>8}"]
        for r in report.sensitivity[:limit]:
            acc = f"{r.accuracy:8.2f}" if r.accuracy is not None else f"{'-':>8}"
            lines.append(f"{r.layer[:28]:<28} {r.ops:4d} {r.sqnr_db:8.2f} {acc}")
    return "\n".join(lines)


def render_html(report: DebugReport, title: str = "edgeq quantization debug") -> str:
    """A self-contained HTML page: SVG bars of SQNR lost per layer, worst first, and the full table."""
    rows = report.layers
    bar_h, gap, left, width = 18, 4, 260, 420
    finite = [max(r.sqnr_drop_db, 0.0) for r in rows if math.isfinite(r.sqnr_drop_db)]
    top = max(finite + [1e-9])
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" '
           f'height="{len(rows) * (bar_h + gap) + 10}" font-family="sans-serif" font-size="12">']
    for i, r in enumerate(rows):
        y = i * (bar_h + gap) + 5
        d = r.sqnr_drop_db if math.isfinite(r.sqnr_drop_db) else top
        w = max(d, 0.0) / top * width
        svg.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(r.layer[:40])}</text>')
        svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#c0392b"/>')
        svg.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}">{d:.1f} dB</text>')
    svg.append("</svg>")
    table = ["<table><tr><th>layer</th><th>op</th><th>SQNR dB</th><th>lost dB</th><th>RMSE/step</th>"
             "<th>cosine</th><th>tensor</th></tr>"]
    for r in rows:
        table.append(f"<tr><td>{html.escape(r.layer)}</td><td>{r.op}</td><td>{r.sqnr_db:.2f}</td>"
                     f"<td>{r.sqnr_drop_db:.2f}</td><td>{r.rmse_over_scale:.3f}</td><td>{r.cosine:.5f}</td>"
                     f"<td><code>{html.escape(r.tensor)}</code></td></tr>")
    table.append("</table>")
    extra = ("<p>Unmatched quantized tensors: " + ", ".join(html.escape(u) for u in report.unmatched) + "</p>"
                 if report.unmatched else "")
    if report.sensitivity is not None:
        extra += ("<h2>Sensitivity</h2><p>Model output SQNR with only this layer in int8 "
                      "(lower = more sensitive).</p><table><tr><th>layer</th><th>ops</th><th>SQNR dB</th>"
                      "<th>top-1 %</th></tr>")
        for r in report.sensitivity:
            acc = f"{r.accuracy:.2f}" if r.accuracy is not None else "-"
            extra += (f"<tr><td>{html.escape(r.layer)}</td><td>{r.ops}</td><td>{r.sqnr_db:.2f}</td>"
                          f"<td>{acc}</td></tr>")
        extra += "</table>"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{report.samples} samples. SQNR lost at each op "
            "(input SQNR − output SQNR), worst first.</p>" + "".join(svg) + "".join(table) + extra
            + "</body></html>")


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _check_report_path(path: Path) -> None:
    if path.suffix.lower() not in (".html", ".htm", ".json"):
        raise EdgeqError(f"cannot write a report as '{path.suffix or path.name}': use -o report.html or report.json")
    if not path.parent.is_dir():
        raise EdgeqError(f"folder '{path.parent}' of the report does not exist: create it or pick another -o path")


def write_report(report: DebugReport, path: Path) -> None:
    """Write ``report`` as self-contained HTML or JSON, atomically."""
    _check_report_path(path)
    if path.suffix.lower() == ".json":
        _write_atomic(path, json.dumps(report.to_dict(), indent=2).encode())
    else:
        _write_atomic(path, render_html(report).encode())


def _load_data(data: str, float_model: bytes,
               max_samples: int | None) -> tuple[list[list[np.ndarray]], np.ndarray | None]:
    """Samples (batch-1 lists) and labels, if the data has them."""
    interp = Interpreter(float_model, resolver="builtin")
    try:
        from ..datasets import InputSpec, load_samples
    except ImportError:  # pragma: no cover - only before the datasets module lands
        return _load_npy_fallback(data, interp, max_samples), None
    specs = [InputSpec(s.name, s.shape, s.dtype) for s in interp.inputs]
    samples = load_samples(data, specs, max_samples=max_samples, role="debug")
    return [s for s in samples], samples.labels


def _load_npy_fallback(data: str, interp: Interpreter, max_samples: int | None) -> list[list[np.ndarray]]:
    p = Path(data)
    if p.suffix != ".npy" or not p.is_file():
        raise EdgeqError(f"debug data '{data}' is not a .npy file: give a .npy of samples stacked on axis 0")
    arr = np.load(p).astype(np.float32)
    if arr.ndim != len(interp.inputs[0].shape) or tuple(arr.shape[1:]) != tuple(interp.inputs[0].shape[1:]):
        raise EdgeqError(f"debug data '{data}' has shape {arr.shape}, the model needs (N, "
                         f"{', '.join(map(str, interp.inputs[0].shape[1:]))}): reshape it or pass the right file")
    n = arr.shape[0] if max_samples is None else min(arr.shape[0], max_samples)
    return [[arr[i:i + 1]] for i in range(n)]


def _read_model_file(path: str, role: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{role} '{path}' does not exist: give the path of a .tflite file")
    data = p.read_bytes()
    read_model(data, f"{role} '{path}'")  # fails early with a clear message on non-tflite files
    return data


@click.command("debug")
@click.argument("float_model", type=click.Path(dir_okay=False))
@click.argument("quant_model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, help="samples: .npy/.npz file, image folder or module:function")
@click.option("--max-samples", type=int, default=32, show_default=True, help="compare on at most this many samples")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON instead of a table")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="also write report.html (SVG bars) or .json")
@click.option("--sensitivity", is_flag=True,
              help="also quantize one layer at a time (rest float) and rank layers by the output damage")
def debug_command(float_model: str, quant_model: str, data: str, max_samples: int, as_json: bool,
                  output: str | None, sensitivity: bool) -> None:
    """Per-layer error of QUANT_MODEL against FLOAT_MODEL: SQNR, RMSE/step, cosine, worst first."""
    if output:
        _check_report_path(Path(output))  # fail before the slow part, not after
    fb = _read_model_file(float_model, "float model")
    qb = _read_model_file(quant_model, "quantized model")
    samples, labels = _load_data(data, fb, max_samples)
    report = compare_layers(fb, qb, samples)
    if sensitivity:
        from .sensitivity import layer_sensitivity
        report.sensitivity = layer_sensitivity(fb, samples, samples, labels=labels)
    if output:
        write_report(report, Path(output))
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_table(report))
