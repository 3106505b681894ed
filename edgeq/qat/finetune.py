"""``edgeq finetune``: quantization-aware training from edgeq's post-training quantization.

1. Batch norms are folded into the layer before them (:func:`.graph.fold_batch_norm`).
2. edgeq converts the folded model as ``edgeq convert`` would (same calibration; no cross-layer
   equalization, which would move weights off the grid the training learns): its activation
   scales and zero points, the input scale of every weight op and, for int4, the layers
   edgeq's int4 rewrite makes int4 are read from the integer model.
3. The fake-quantized twin (:func:`.graph.fake_quant_model`) trains on the labelled data with
   those ranges fixed.
4. The folded model with the quantized weights is saved as plain Keras 3 with the record
   (:mod:`.record`); ``edgeq convert`` then applies the record's ranges and finds the weights on
   their grid. The saved model is converted once here and its predictions compared with the
   fake-quantized model's (``agreement``).
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import Samples, load_samples
from ..errors import DataError, ModelError
from ..options import ConvertOptions
from .record import QatRecord, layer_tensors, weight_op_inputs, write_record

QAT_WEIGHTS = ("int8", "int4", "mixed")
DEFAULT_EPOCHS = 3
DEFAULT_LR = 1e-4


@dataclass
class FinetuneResult:
    """The fine-tuned model (plain Keras, quantized weights), its record and what was measured."""

    model: Any  # keras.Model, plain layers: what was saved
    fake_quant: Any  # keras.Model: the fake-quantized model that trained
    record: QatRecord
    report: dict = field(default_factory=dict)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model and its record as one ``.keras`` file (atomically)."""
        dest = Path(path)
        if dest.suffix.lower() != ".keras":
            raise DataError(f"-o {path}: the fine-tuned model is saved as Keras 3, give a .keras file name")
        fd, tmp = tempfile.mkstemp(suffix=".keras", dir=dest.parent if str(dest.parent) else ".")
        os.close(fd)
        try:
            self.model.save(tmp)
            write_record(tmp, self.record)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest


def _keras_model(model: Any):
    import keras

    if isinstance(model, (str, os.PathLike)):
        p = Path(model)
        if p.suffix.lower() not in (".keras", ".h5", ".hdf5") or not p.is_file():
            raise DataError(f"edgeq finetune takes a Keras model (.keras or .h5): '{model}' is not one")
        from ..model_source import load_model as _check  # noqa: F401 - same loader messages

        try:
            return keras.models.load_model(str(p), compile=False), str(p)
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"Keras cannot load '{model}': {str(e).splitlines()[0][:200]} "
                             "(re-save the model with this Keras version)") from None
    if hasattr(model, "layers") and hasattr(model, "fit"):
        return model, "<in-memory Keras model>"
    raise DataError(f"cannot fine-tune a {type(model).__name__}: give a Keras model or its .keras path "
                    "(PyTorch QAT is not supported yet)")


def _data(spec, inputs, role: str, need_labels: bool, max_samples: int | None = None) -> Samples:
    s = spec if isinstance(spec, Samples) else load_samples(spec, inputs, max_samples=max_samples, role=role)
    if need_labels and s.labels is None:
        raise DataError(f"{role} data has no labels: fine-tuning needs them (an .npz with a 'labels' array, "
                        "or class sub-folders)")
    return s


def _quant_params(model: bytes, known, outputs) -> tuple[dict[str, tuple[float, int]], dict[str, float]]:
    """Layer key → (scale, zero point) of the integer model's int8 tensors; layer → weight-op input scale."""
    from ..tflite_schema import read_model, tensor_type_names

    sg = read_model(model).subgraphs[0]
    types = tensor_type_names()

    def qp(i: int) -> tuple[float, int] | None:
        t = sg.tensors[i]
        q = t.quantization
        if types[t.type] != "int8" or q is None or q.scale is None or len(q.scale) != 1:
            return None
        return float(q.scale[0]), int(q.zeroPoint[0])

    quant = {k: p for k, i in layer_tensors(model, known, outputs).items() if (p := qp(i)) is not None}
    scales = {layer: p[0] for layer, i in weight_op_inputs(model, known, outputs).items() if (p := qp(i)) is not None}
    return quant, scales


def _accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(pred.reshape(len(pred), -1), axis=-1) == labels))


def _is_probability(model) -> bool:
    import keras

    last = model.layers[-1]
    return isinstance(last, keras.layers.Softmax) or getattr(last, "activation", None) is keras.activations.softmax


def finetune(model: Any, data: str | os.PathLike | Samples, *, eval_data: str | os.PathLike | Samples | None = None,
             calib_data: str | os.PathLike | Samples | None = None, weights: str = "int8",
             epochs: int = DEFAULT_EPOCHS, batch_size: int = 32, learning_rate: float = DEFAULT_LR,
             options: ConvertOptions | None = None, seed: int = 0, verify: bool = True,
             show_progress: bool = False) -> FinetuneResult:
    """Quantization-aware fine-tuning of a Keras classifier (see the module docstring).

    ``data``: labelled training samples (also the calibration samples unless ``calib_data``);
    ``eval_data``: labelled held-out samples for the before/after accuracies (needed for
    ``weights="mixed"``); ``options``: the conversion options the model will be converted with.
    With ``verify`` the saved model is converted here and its agreement with the
    fake-quantized model measured on ``eval_data``.
    """
    import keras

    from ..converter.pipeline import convert
    from ..model_source import from_keras_model
    from .graph import export_model, fake_quant_model, fold_batch_norm

    t0 = time.perf_counter()
    if weights not in QAT_WEIGHTS:
        raise DataError(f"--weights {weights} is not supported: choose int8, int4 or mixed")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise DataError(f"--epochs {epochs} is not a count: give 0 or more")
    if weights == "mixed" and eval_data is None:
        raise DataError("--weights mixed needs --eval-data to choose int4 or int8 per layer: add it")
    if options is not None and options.per_tensor:
        raise DataError("quantization-aware training here trains per-channel weights: drop per_tensor")
    original, path = _keras_model(model)
    if len(original.outputs) != 1:
        raise DataError("edgeq finetune trains single-output classifiers for now: this model has "
                        f"{len(original.outputs)} outputs")
    folded, bns = fold_batch_norm(original)
    src = from_keras_model(folded, path=path)
    opts = (options or ConvertOptions()).replace(equalize=False, weight_clipping=False, bias_correction=False,
                                                 weights=weights, activations="int8")
    train = _data(data, src.inputs, "training", True)
    calib = train.subset(opts.max_samples or len(train)) if calib_data is None else \
        _data(calib_data, src.inputs, "calibration", False, opts.max_samples)
    ev = None if eval_data is None else _data(eval_data, src.inputs, "eval", True)

    ptq = convert(src, calib, eval_data=ev, options=opts, show_progress=show_progress)
    quant, in_scales = _quant_params(ptq.model, src.layer_names, src.output_layers)
    int4 = tuple(ptq.report["int4"]["int4_layers"]) if ptq.report.get("int4") else ()
    int4_keras = {n.split("/")[0] for n in int4} | set(int4)
    fq = fake_quant_model(folded, quant, lambda name: "int4" if name in int4_keras else "int8", in_scales)

    def accuracy(m) -> float | None:
        return None if ev is None else _accuracy(m.predict(ev.inputs, batch_size=256, verbose=0), ev.labels)

    before = accuracy(fq)
    keras.utils.set_random_seed(seed)
    fq.compile(optimizer=keras.optimizers.Adam(learning_rate),
               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not _is_probability(folded)))
    if epochs:
        fq.fit(train.inputs, train.labels, batch_size=batch_size, epochs=epochs, shuffle=True,
               verbose=1 if show_progress else 0)
    after = accuracy(fq)
    exported = export_model(folded, fq)
    ranges = {k: ((-128 - zp) * s, (127 - zp) * s) for k, (s, zp) in quant.items()}
    method = ptq.report["calibration"]["method"]
    ptq_eval = (ptq.report.get("evaluation") or {}).get("outputs", [{}])[0]
    metrics = {"float_accuracy": ptq_eval.get("float_accuracy"), "ptq_accuracy": ptq_eval.get("quant_accuracy"),
               "fake_quant_accuracy_before": before, "fake_quant_accuracy_after": after}
    record = QatRecord("int8" if not int4 else "int4", int4, method, ranges, epochs, metrics)
    result = FinetuneResult(exported, fq, record)
    result.report = {"source": path, "weights": weights, "int4_layers": list(int4), "epochs": epochs,
                     "learning_rate": learning_rate, "batch_size": batch_size, "training_samples": len(train),
                     "calibration": {"method": method, "samples": len(calib)}, "folded_batch_norm": bns,
                     "fixed_ranges": len(ranges), "eval_samples": None if ev is None else len(ev), **metrics}
    if verify and ev is not None:
        result.report["converted"] = _verify(result, calib, ev, opts)
    result.report["seconds"] = round(time.perf_counter() - t0, 2)
    return result


def _verify(result: FinetuneResult, calib: Samples, ev: Samples, opts: ConvertOptions) -> dict:
    """Convert the saved model as ``edgeq convert`` would; its predictions against the fake-quantized model's."""
    from ..converter.pipeline import convert
    from ..runtime import Interpreter

    with tempfile.TemporaryDirectory(prefix="edgeq-qat-") as tmp:
        path = result.save(Path(tmp) / "qat.keras")
        conv = convert(path, calib, eval_data=ev, options=ConvertOptions(io=opts.io, per_tensor=opts.per_tensor,
                                                                          max_samples=opts.max_samples))
    it = Interpreter(conv.model, resolver="builtin")
    got = np.concatenate([it.run_float(x)[0].reshape(1, -1) for x in ev])
    fq = result.fake_quant.predict(ev.inputs, batch_size=256, verbose=0).reshape(len(ev), -1)
    agree = float(np.mean(np.argmax(got, -1) == np.argmax(fq, -1)))
    return {"accuracy": _accuracy(got, ev.labels), "agreement_with_fake_quant": agree,
            "bytes": len(conv.model), "weights": conv.report["weights"],
            "fixed_ranges_applied": conv.report["calibration"].get("fixed_ranges")}
