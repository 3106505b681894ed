"""What a .tflite model holds, read from the flatbuffer itself.

Used by ``edgeq inspect``, by the converter's report, and by its strict check that
a model is fully integer — which never trusts the converter's word for it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from ..layer_names import op_layer_names, output_layer_map
from ..tflite_schema import buffer_bytes, op_name, read_model, tensor_name, tensor_type_names

FLOAT_TYPES = {"float32", "float16", "float64", "bfloat16"}
#: ops that only move or reshape data; integer whenever their tensors are
BOUNDARY_OPS = {"QUANTIZE", "DEQUANTIZE"}


@dataclass
class OpInfo:
    index: int
    op: str
    layer: str
    inputs: list[str]  # tensor types, "const:" prefixed for constants
    outputs: list[str]
    integer: bool
    reason: str = ""
    serves: str = ""  # for QUANTIZE/DEQUANTIZE bridging a float op: that op's type

    def as_dict(self) -> dict:
        d = {"index": self.index, "op": self.op, "layer": self.layer, "inputs": self.inputs,
             "outputs": self.outputs, "integer": self.integer}
        if self.reason:
            d["reason"] = self.reason
        if self.serves:
            d["serves"] = self.serves
        return d


def _is_const(model: Any, t: Any) -> bool:
    return buffer_bytes(model, t) > 0


def _quant_dict(t: Any) -> dict | None:
    q = t.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        return None
    scales = [float(s) for s in q.scale]
    zps = [int(z) for z in q.zeroPoint] if q.zeroPoint is not None and len(q.zeroPoint) else [0] * len(scales)
    if len(scales) == 1:
        return {"scale": scales[0], "zero_point": zps[0]}
    return {"per_channel": True, "axis": int(q.quantizedDimension or 0), "channels": len(scales),
            "scale_min": min(scales), "scale_max": max(scales)}


def io_tensors(model: Any, which: str, output_layers: Sequence[str] | None = None) -> list[dict]:
    sg = model.subgraphs[0]
    types = tensor_type_names()
    idx = sg.inputs if which == "inputs" else sg.outputs
    sig = {}
    if model.signatureDefs:  # the names users call inputs and outputs by
        for t in (model.signatureDefs[0].inputs if which == "inputs" else model.signatureDefs[0].outputs) or []:
            sig[int(t.tensorIndex)] = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else t.name
    layer_of = output_layer_map(model, recorded_output_layers(model, output_layers)) if which == "outputs" else {}
    out = []
    for i in idx:
        t = sg.tensors[i]
        out.append({"name": layer_of.get(i) or sig.get(i) or tensor_name(t), "tensor": tensor_name(t), "shape": [int(d) for d in (t.shape if t.shape is not None else [])],
                    "type": types.get(t.type, str(t.type)), "quantization": _quant_dict(t)})
    return out


def op_table(model: Any, known_layers: Sequence[str] | None = None, io: str = "int8",
             output_layers: Sequence[str] | None = None) -> list[OpInfo]:
    """Every op of the main subgraph with its tensor types and whether it runs in integers.

    ``io="float"`` accepts QUANTIZE/DEQUANTIZE at the model's inputs and outputs,
    which is what a model with float I/O needs.
    """
    sg = model.subgraphs[0]
    types = tensor_type_names()
    layers = op_layer_names(model, known_layers, output_layers=recorded_output_layers(model, output_layers))
    model_in, model_out = set(sg.inputs), set(sg.outputs)
    rows = []
    for k, op in enumerate(sg.operators):
        name = op_name(model, op)
        ins, outs, float_acts, float_consts = [], [], [], []
        for i in (op.inputs if op.inputs is not None else []):
            if i < 0:
                continue
            t = sg.tensors[i]
            ty = types.get(t.type, str(t.type))
            const = _is_const(model, t)
            ins.append(("const:" if const else "") + ty)
            if ty in FLOAT_TYPES:
                (float_consts if const else float_acts).append(i)
        for i in (op.outputs if op.outputs is not None else []):
            t = sg.tensors[i]
            ty = types.get(t.type, str(t.type))
            outs.append(ty)
            if ty in FLOAT_TYPES:
                float_acts.append(i)
        integer, reason = True, ""
        if name == "QUANTIZE" and float_acts and all(i in model_in for i in float_acts if i in (op.inputs or [])):
            integer = io == "float"
            reason = "" if integer else "converts the float model input to integers"
        elif name == "DEQUANTIZE" and float_acts and all(i in model_out for i in (op.outputs or [])):
            integer = io == "float"
            reason = "" if integer else "converts the integer result to a float model output"
        elif name == "DEQUANTIZE":
            integer, reason = False, "turns integer values back into float for an op that has no integer kernel"
        elif name == "QUANTIZE" and float_acts:
            integer, reason = False, "re-quantizes the output of a float op"
        elif name.startswith("CUSTOM:") and (float_acts or float_consts):
            integer, reason = False, (f"custom op {name[len('CUSTOM:'):]} has only a float kernel (its own "
                                      "library's) and no integer form, so it computes in float")
        elif float_acts or float_consts:
            integer = False
            reason = (f"TFLite has no integer kernel for {name} here, so it computes in float"
                      if float_acts else f"{name} keeps float constants")
        rows.append(OpInfo(k, name, layers[k], ins, outs, integer, reason))
    _attribute_bridges(sg, rows)
    return rows


def _attribute_bridges(sg: Any, rows: list[OpInfo]) -> None:
    """Name the DEQUANTIZE/QUANTIZE pairs around a float op after that op's layer.

    The quantizer names them ``tfl.dequantize``; users need to know which of their
    layers forced them, and allowing that op must allow its bridges too.
    """
    producer, consumers = {}, {}
    for k, op in enumerate(sg.operators):
        for i in op.outputs if op.outputs is not None else []:
            producer[i] = k
        for i in op.inputs if op.inputs is not None else []:
            consumers.setdefault(i, []).append(k)
    for k, row in enumerate(rows):
        if row.integer or row.op not in BOUNDARY_OPS:
            continue
        op = sg.operators[k]
        if row.op == "DEQUANTIZE":
            near = [c for i in op.outputs for c in consumers.get(i, []) if rows[c].op not in BOUNDARY_OPS]
        else:
            near = [producer[i] for i in op.inputs if i in producer and rows[producer[i]].op not in BOUNDARY_OPS]
        if near:
            row.layer, row.serves = rows[near[0]].layer, rows[near[0]].op


def weight_bytes_by_type(model: Any) -> dict[str, int]:
    sg = model.subgraphs[0]
    types = tensor_type_names()
    seen: set[int] = set()
    out: Counter[str] = Counter()
    for t in sg.tensors:
        if t.buffer in seen:
            continue
        n = buffer_bytes(model, t)
        if n:
            seen.add(t.buffer)
            out[types.get(t.type, str(t.type))] += n
    return dict(out)


def metadata(model: Any) -> dict[str, bytes]:
    """Named metadata buffers (edgeq keeps its manifest there)."""
    out = {}
    for md in model.metadata or []:
        name = md.name.decode("utf-8", "replace") if isinstance(md.name, bytes) else (md.name or "")
        buf = model.buffers[md.buffer]
        out[name] = bytes(buf.data) if buf.data is not None else b""
    return out


def summarize(data: bytes, known_layers: Sequence[str] | None = None, io: str = "int8",
              source: str = "model", output_layers: Sequence[str] | None = None) -> dict:
    """A JSON-ready description of a model: I/O, ops, weight bytes, non-integer ops."""
    m = read_model(data, source=source)
    ops = op_table(m, known_layers, io, output_layers)
    counts = Counter(o.op for o in ops)
    return {
        "bytes": len(data),
        "subgraphs": len(m.subgraphs),
        "inputs": io_tensors(m, "inputs"),
        "outputs": io_tensors(m, "outputs", output_layers),
        "op_counts": dict(sorted(counts.items())),
        "ops": [o.as_dict() for o in ops],
        "weight_bytes_by_type": weight_bytes_by_type(m),
        "non_integer_ops": [o.as_dict() for o in ops if not o.integer],
        "fully_integer": all(o.integer for o in ops),
        "metadata": sorted(metadata(m)),
        "manifest": manifest_of(m),
    }


def recorded_output_layers(model: Any, output_layers: Sequence[str] | None) -> Sequence[str] | None:
    """``output_layers`` when given, else the ones edgeq's manifest in the file recorded at conversion."""
    if output_layers is not None:
        return output_layers
    rec = (manifest_of(model) or {}).get("output_layers")
    return rec if isinstance(rec, list) and all(isinstance(n, str) for n in rec) else None


def manifest_of(m: Any) -> dict | None:
    """The edgeq manifest in a parsed model's metadata, or None (not converted by edgeq)."""
    import json

    raw = metadata(m).get("edgeq_manifest")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
