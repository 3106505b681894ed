"""How much a quantized model departs from its float original, on the user's data."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..datasets import Samples
from ..progress import progress
from ..runtime import RESOLVER_PATHS, Interpreter


def sqnr_db(ref: np.ndarray, test: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio in dB (inf when identical)."""
    ref = np.asarray(ref, np.float64)
    noise = np.sum((ref - np.asarray(test, np.float64)) ** 2)
    signal = np.sum(ref ** 2)
    if noise == 0:
        return float("inf")
    if signal == 0:
        return float("-inf")
    return float(10 * np.log10(signal / noise))


def run_all(interp: Interpreter, samples: Samples, desc: str, show: bool) -> list[np.ndarray]:
    """Float outputs of ``interp`` on every sample, stacked per output."""
    outs: list[list[np.ndarray]] = [[] for _ in interp.outputs]
    for x in progress(samples, total=len(samples), desc=desc, show=show):
        for k, y in enumerate(interp.run_float(x)):
            outs[k].append(y)
    return [np.concatenate(o, axis=0) for o in outs]


#: an output whose fidelity falls under these is flagged in the report, with the next rung to try
WARN_SQNR_DB = 20.0
WARN_TOP1_AGREEMENT = 0.98
#: ops a class output may pass through after its SOFTMAX
_PASS_THROUGH = {"RESHAPE", "SQUEEZE", "DEQUANTIZE", "QUANTIZE"}


def output_kinds(model: bytes) -> list[str]:
    """Per model output: ``class`` when a SOFTMAX makes it (scores over classes), else ``values``
    (coordinates, masks, embeddings, logits: compared in their own units)."""
    from ..tflite_schema import op_name, read_model

    m = read_model(model)
    sg = m.subgraphs[0]
    producer = {int(i): op for op in sg.operators for i in op.outputs if i >= 0}
    kinds = []
    for out in sg.outputs:
        op, kind = producer.get(int(out)), "values"
        while op is not None:
            name = op_name(m, op)
            if name == "SOFTMAX":
                kind = "class"
                break
            if name not in _PASS_THROUGH:
                break
            op = producer.get(int(op.inputs[0]))
        kinds.append(kind)
    return kinds


def _cosines(f: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cosine similarity of each sample's float and quantized output (flattened)."""
    a = f.reshape(len(f), -1).astype(np.float64)
    b = q.reshape(len(q), -1).astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (a * b).sum(1) / (na * nb)
    return np.where((na == 0) & (nb == 0), 1.0, np.nan_to_num(c, nan=0.0))


def compare(float_model: bytes, quant_model: bytes, samples: Samples, *,
            output_names: Sequence[str] | None = None, resolver: str = "default",
            show_progress: bool = False) -> dict:
    """Float vs quantized on ``samples``, per output: SQNR, errors in the output's own units and
    cosine always; top-1 agreement (and accuracy with labels) only for class outputs."""
    fi = Interpreter(float_model, resolver=resolver)
    qi = Interpreter(quant_model, resolver=resolver)
    fo = run_all(fi, samples, "eval float", show_progress)
    qo = run_all(qi, samples, "eval int8", show_progress)
    kinds = output_kinds(float_model)
    # which kernels computed the figures: the default path is XNNPACK, not what edgeq's delegates or TFLite Micro run
    result: dict = {"samples": len(samples), "runtime": {**qi.describe(), "path": RESOLVER_PATHS[resolver]},
                    "outputs": []}
    names = list(output_names) if output_names else [s.name for s in qi.outputs]
    for k, (f, q) in enumerate(zip(fo, qo)):
        err = np.abs(f.astype(np.float64) - q)
        lo, hi = (float(v) for v in np.percentile(f, [0.5, 99.5]))
        cos = _cosines(f, q)
        kind = kinds[k] if k < len(kinds) else "values"
        if samples.labels is not None and k == 0 and f.ndim == 2 and f.shape[1] > 1:
            kind = "class"  # labels say the first output scores classes
        entry = {"name": names[k] if k < len(names) else f"output_{k}", "kind": kind,
                 "sqnr_db": sqnr_db(f, q), "max_abs_error": float(err.max()),
                 "mean_abs_error": float(err.mean()), "p99_abs_error": float(np.percentile(err, 99)),
                 "value_range": [lo, hi], "cosine_mean": float(cos.mean()), "cosine_min": float(cos.min())}
        spec = qi.outputs[k] if k < len(qi.outputs) else None
        if spec is not None and spec.quantized:
            entry["step"] = float(spec.scale)  # one step of the integer output, in the output's units
        if kind == "class":
            fa, qa = f.reshape(len(f), -1).argmax(1), q.reshape(len(q), -1).argmax(1)
            entry["top1_agreement"] = float(np.mean(fa == qa))
            if samples.labels is not None and k == 0:
                entry["float_accuracy"] = float(np.mean(fa == samples.labels))
                entry["quant_accuracy"] = float(np.mean(qa == samples.labels))
                entry["accuracy_drop_points"] = 100.0 * (entry["float_accuracy"] - entry["quant_accuracy"])
        result["outputs"].append(entry)
    return result


def flat(output: dict) -> bool:
    """Whether a value output's float range on the evaluation data is below one step of its integer output: then
    nothing the integer model does shows in it (a mask that stays 0 on noise), and no figure of it means anything."""
    step = output.get("step")
    return bool(step) and output.get("kind") != "class" and \
        output["value_range"][1] - output["value_range"][0] < step


def add_verdicts(evaluation: dict, next_rung: str, min_sqnr_db: float | None = None) -> list[str]:
    """Mark each output of ``evaluation`` good or poor (``verdict``); return one warning per poor output.

    Class outputs are judged by top-1 agreement, all others by SQNR (``min_sqnr_db``, default
    WARN_SQNR_DB); ``next_rung`` says what to try next.
    """
    floor = WARN_SQNR_DB if min_sqnr_db is None else float(min_sqnr_db)
    warnings = []
    for o in evaluation["outputs"]:
        if o.get("kind") == "class":
            ok = o["top1_agreement"] >= WARN_TOP1_AGREEMENT
            o["verdict"] = {"ok": ok, "metric": "top1_agreement", "value": o["top1_agreement"],
                            "threshold": WARN_TOP1_AGREEMENT}
            why = f"top-1 agreement {100 * o['top1_agreement']:.1f}% < {100 * WARN_TOP1_AGREEMENT:.0f}%"
        elif flat(o):
            lo, hi = o["value_range"]
            o["verdict"] = {"ok": None, "metric": "none", "value_range": [lo, hi], "step": o["step"]}
            warnings.append(f"output '{o['name']}' cannot be judged on this data: the float model's values span only "
                            f"{lo:.3g}..{hi:.3g}, less than one step of the integer output ({o['step']:.3g}), so "
                            "its SQNR and errors say nothing; evaluate on inputs that exercise it (realistic samples)")
            continue
        else:
            ok = o["sqnr_db"] >= floor
            o["verdict"] = {"ok": ok, "metric": "sqnr_db", "value": o["sqnr_db"], "threshold": floor}
            span = o["value_range"][1] - o["value_range"][0]
            rel = f" ({100 * o['mean_abs_error'] / span:.1f}% of its range)" if span > 0 else ""
            why = f"SQNR {o['sqnr_db']:.1f} dB < {floor:g} dB, mean |err| {o['mean_abs_error']:.4g}{rel}"
        if not ok:
            o["verdict"]["next"] = next_rung
            warnings.append(f"output '{o['name']}' is poor: {why}; try {next_rung}")
    return warnings
