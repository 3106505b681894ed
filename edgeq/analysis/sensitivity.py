"""Which layers suffer most from int8? Quantize one layer at a time and measure the damage.

Each trial quantizes a single user-facing layer (all its ops) and keeps every
other op float (the quantize stage's ``keep_float``), so the output
error is caused by that layer alone. Layers are ranked by output SQNR against the
float model (lowest first), or by accuracy when labels are given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import EdgeqError
from ..layer_names import op_layer_names
from ..options import ConvertOptions
from ..quantize.calibration.observers import SampleSource, iterate_samples
from ..quantize.stage import calibrate_stage, quantize_stage
from ..runtime import Interpreter
from ..tflite_schema import read_model, tensor_name, tensor_type_code
from .evaluate import sqnr_db


@dataclass
class LayerSensitivity:
    layer: str
    ops: int  # how many TFLite ops belong to the layer
    sqnr_db: float  # model output SQNR with only this layer in int8
    accuracy: float | None = None  # top-1 % with only this layer in int8, when labels were given


def quantizable_layers(float_model: bytes, known_layers: Sequence[str] | None = None,
                       output_layers: Sequence[str] | None = None) -> dict[str, list[str]]:
    """User-facing layer → output tensor names of its float ops (the quantizer's node names)."""
    m = read_model(float_model)
    sg = m.subgraphs[0]
    f32 = tensor_type_code("float32")
    layers: dict[str, list[str]] = {}
    for name, op in zip(op_layer_names(m, known_layers, output_layers=output_layers), sg.operators or []):
        outs = [sg.tensors[i] for i in op.outputs if i >= 0]
        if outs and all(t.type == f32 for t in outs):
            layers.setdefault(name or tensor_name(outs[0]), []).extend(tensor_name(t) for t in outs)
    return layers


def layer_sensitivity(float_model: bytes, calibration: SampleSource, evaluation: SampleSource | None = None, *,
                      labels: np.ndarray | None = None, method: str = "mse",
                      known_layers: Sequence[str] | None = None, output_layers: Sequence[str] | None = None,
                      progress: bool = False) -> list[LayerSensitivity]:
    """Rank layers by the output damage of quantizing each one alone (most sensitive first).

    ``evaluation`` defaults to the calibration samples; ``labels`` (one int per
    evaluation sample) switches the ranking to top-1 accuracy of the first output.
    """
    cal = list(iterate_samples(calibration))
    ev = list(iterate_samples(evaluation)) if evaluation is not None else cal
    if labels is not None and len(labels) != len(ev):
        raise EdgeqError(f"{len(labels)} labels for {len(ev)} evaluation samples: give one label per sample")
    # float I/O: the trial models keep everything but one layer float, edges included
    options = ConvertOptions(calibration=method, equalize=False, io="float")
    calibrated = calibrate_stage(float_model, cal, options)
    ref = _outputs(Interpreter(float_model, resolver="builtin"), ev)
    layers = quantizable_layers(float_model, known_layers, output_layers)
    everything = [n for names in layers.values() for n in names]
    items: Any = layers.items()
    if progress:
        from tqdm import tqdm
        items = tqdm(items, desc="sensitivity", unit="layer")
    results = []
    for layer, nodes in items:
        own = set(nodes)
        model = quantize_stage(calibrated, cal, options, keep_float=[n for n in everything if n not in own]).model
        got = _outputs(Interpreter(model, resolver="builtin"), ev)
        acc = None
        if labels is not None:
            acc = float(np.mean(got[0].argmax(-1).ravel() == np.asarray(labels).ravel()) * 100)
        results.append(LayerSensitivity(layer, len(nodes), _sqnr_all(ref, got), acc))
    if labels is not None:
        results.sort(key=lambda r: (r.accuracy, r.sqnr_db))
    else:
        results.sort(key=lambda r: r.sqnr_db)
    return results


def _outputs(interp: Interpreter, samples: list[list[np.ndarray]]) -> list[np.ndarray]:
    runs = [interp.run_float(s) for s in samples]
    return [np.concatenate([r[k] for r in runs]) for k in range(len(interp.outputs))]


def _sqnr_all(ref: list[np.ndarray], got: list[np.ndarray]) -> float:
    """SQNR over all outputs together."""
    return sqnr_db(np.concatenate([r.ravel() for r in ref]), np.concatenate([g.ravel() for g in got]))
