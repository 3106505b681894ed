"""How much a quantized model departs from its float original, on the user's data."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..datasets import Samples
from ..progress import progress
from ..runtime import Interpreter


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


def _is_scores(y: np.ndarray) -> bool:
    return y.ndim == 2 and y.shape[1] > 1


def compare(float_model: bytes, quant_model: bytes, samples: Samples, *,
            output_names: Sequence[str] | None = None, resolver: str = "default",
            show_progress: bool = False) -> dict:
    """Float vs quantized on ``samples``: top-1 agreement/accuracy for class scores, SQNR and errors always."""
    fi = Interpreter(float_model, resolver=resolver)
    qi = Interpreter(quant_model, resolver=resolver)
    fo = run_all(fi, samples, "eval float", show_progress)
    qo = run_all(qi, samples, "eval int8", show_progress)
    result: dict = {"samples": len(samples), "runtime": qi.describe(), "outputs": []}
    names = list(output_names) if output_names else [s.name for s in qi.outputs]
    for k, (f, q) in enumerate(zip(fo, qo)):
        err = np.abs(f.astype(np.float64) - q)
        entry = {"name": names[k] if k < len(names) else f"output_{k}",
                 "sqnr_db": sqnr_db(f, q), "max_abs_error": float(err.max()),
                 "mean_abs_error": float(err.mean())}
        if _is_scores(f):
            fa, qa = f.argmax(1), q.argmax(1)
            entry["top1_agreement"] = float(np.mean(fa == qa))
            if samples.labels is not None and k == 0:
                entry["float_accuracy"] = float(np.mean(fa == samples.labels))
                entry["quant_accuracy"] = float(np.mean(qa == samples.labels))
                entry["accuracy_drop_points"] = 100.0 * (entry["float_accuracy"] - entry["quant_accuracy"])
        result["outputs"].append(entry)
    return result
