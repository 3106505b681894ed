"""Precision under an accuracy budget: ``edgeq convert --max-accuracy-drop X`` / ``--min-sqnr DB``.

The ladder, cheapest first, each rung measured on the eval data and reported with its size:

1. the int8 model as converted;
2. int16 islands (:mod:`edgeq.quantize.int16_islands`): every non-GEMM op in int16 (cheap on
   any kernel), then also the GEMMs whose outputs int8 holds worst, at growing thresholds —
   the model keeps int8 I/O and int8 GEMMs elsewhere; FC inputs smoothed first where they can be
   (:mod:`edgeq.quantize.smooth`);
3. int16 activations for the whole model;
4. with labelled training data and a Keras model, quantization-aware fine-tuning (int8);
5. only where the user allows float, the most sensitive layers (ranked by quantizing one
   layer at a time) kept float, one more at a time.

A rung is a function ``(ladder) -> iterator of (label, QuantizeResult, notes)``; :data:`RUNGS`
lists them in order, so another rung (e.g. quantization-aware training) slots in by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..datasets import Samples
from ..errors import DataError, EdgeqError
from ..quantize.stage import QuantizeResult, calibrate_stage, quantize_stage
from .job import Candidate, ConvertJob

#: samples used to rank layers and tensors (the final check always uses the whole eval set)
SENSITIVITY_SAMPLES = 200
MAX_FLOAT_LAYERS = 8
#: GEMM thresholds of the island rungs: GEMMs whose int8 output SQNR on its own is below join the island
ISLAND_GEMM_DB = (0.0, 25.0, 30.0, 35.0)
#: the island rungs smooth FULLY_CONNECTED inputs first (benchmarks/bench_smooth.py turns it off to compare)
SMOOTH_FC_INPUTS = True


def drop_points(evaluation: dict) -> float:
    """Accuracy points lost against float; without labels, the share of changed top-1 answers."""
    first = evaluation["outputs"][0]
    if "accuracy_drop_points" in first:
        return float(first["accuracy_drop_points"])
    if "top1_agreement" in first:
        return 100.0 * (1.0 - float(first["top1_agreement"]))
    raise DataError("--max-accuracy-drop needs a classifier output (class scores) or labels in the eval data: "
                    "give labels, or use --min-sqnr DB for outputs that are not class scores")


def min_sqnr(evaluation: dict) -> float:
    """The lowest SQNR over the outputs that are not class scores (inf when all are)."""
    values = [o["sqnr_db"] for o in evaluation["outputs"] if o.get("kind") != "class"]
    return min(values) if values else math.inf


@dataclass(frozen=True)
class Target:
    """What the ladder must reach: an accuracy drop, an SQNR floor, or both."""

    max_drop: float | None
    min_sqnr_db: float | None

    def check(self, evaluation: dict) -> None:
        """An SQNR floor with only class outputs would be met by any model: say so instead."""
        if self.min_sqnr_db is not None and math.isinf(min_sqnr(evaluation)):
            names = ", ".join(f"'{o['name']}'" for o in evaluation["outputs"])
            raise DataError(f"--min-sqnr judges outputs that are not class scores, and every output here ({names}) "
                            "is class scores, judged by top-1 agreement: use --max-accuracy-drop POINTS")

    def shortfall(self, evaluation: dict) -> float:
        """How far ``evaluation`` is from the target (<= 0: met); comparable across rungs."""
        gaps = []
        if self.max_drop is not None:
            gaps.append(drop_points(evaluation) - self.max_drop)
        if self.min_sqnr_db is not None:
            gaps.append(self.min_sqnr_db - min_sqnr(evaluation))
        return max(gaps)


@dataclass
class Ladder:
    """What the rungs share: the job, the first (int8) candidate, and models built once."""

    job: ConvertJob
    first: Candidate
    cache: dict = field(default_factory=dict)

    def int16(self) -> QuantizeResult:
        """The whole-model 16x8 quantization (built once)."""
        if "int16" not in self.cache:
            self.cache["int16"] = quantize_stage(self.job.src.tflite, self.job.calib,
                                                 self.job.options.replace(activations="int16"),
                                                 show_progress=self.job.show_progress)
        return self.cache["int16"]


Step = tuple[str, QuantizeResult, dict]


def int16_islands(ladder: Ladder) -> Iterator[Step]:
    """int8 with int16 islands, at growing GEMM thresholds (see :data:`ISLAND_GEMM_DB`)."""
    from ..quantize.graph_rewrites import INT16_REWRITES, apply_rewrites
    from ..quantize.int16_islands import GEMM_OPS, build_islands, int8_fit, plan

    from ..quantize.smooth import smooth_model

    job = ladder.job
    if ladder.first.quant.activations != "int8":
        return
    # outlier channels of FC inputs moved into the weights first (exact in float): MiniLM's islands
    # rung 20.3 -> 22.2 dB at the same GEMM count (benchmarks/bench_smooth.py)
    src, smoothed = job.src.tflite, None
    smoothed_src, rep = smooth_model(src, list(job.calib)[:SENSITIVITY_SAMPLES // 4]) if SMOOTH_FC_INPUTS \
        else (src, None)
    smoothing = None
    if rep is not None and rep.fcs:
        src, smoothed = smoothed_src, rep.fcs
        # for the manifest (not the trail): edgeq debug smooths the float model with these to compare like for like
        from ..quantize.smooth import ALPHA, encode_scales
        smoothing = {"method": "smoothquant", "alpha": ALPHA, "fcs": rep.fcs, "scales": encode_scales(rep.scales)}
        q16 = quantize_stage(src, job.calib, job.options.replace(activations="int16"),
                             show_progress=job.show_progress)
    else:
        q16 = ladder.int16()
    # the int8 base from the same rewritten float graph as the 16x8 model, so every op has its twin
    rewritten, _ = apply_rewrites(src, INT16_REWRITES)
    base = quantize_stage(rewritten, job.calib, job.options, show_progress=job.show_progress)
    fits = int8_fit(base.float_model, base.model, list(job.calib)[:SENSITIVITY_SAMPLES // 4])
    seen: set[tuple[str, ...]] = set()
    for db in ISLAND_GEMM_DB:
        names = tuple(plan(fits, db))
        if not names or names in seen:
            continue
        seen.add(names)
        r = build_islands(base.model, q16.model, names)
        if not r.int16_ops:
            continue
        gemms = sum(1 for f in fits if f.tensor in set(r.int16_ops) and f.op in GEMM_OPS)
        label = (f"int16 islands: {len(r.int16_ops)} ops, {gemms} GEMMs" + (f" (int8 SQNR < {db:g} dB)" if db else "")
                 + (f", {smoothed} FCs smoothed" if smoothed else ""))
        notes = {"int16_ops": len(r.int16_ops), "int16_gemms": gemms, "gemm_below_db": db,
                 "quantize_ops": r.quantize_ops, "refused": r.refused, "smoothed_fcs": smoothed,
                 **({"_smoothing": smoothing} if smoothing else {})}
        yield label, QuantizeResult(r.model, base.calibrated, base.io), notes


def int16_whole(ladder: Ladder) -> Iterator[Step]:
    """int16 activations for the whole model (TFLite's 16x8 mode)."""
    if ladder.first.quant.activations == "int8":
        q16 = ladder.int16()
        yield "int16 activations (whole model)", q16, {"io": q16.io}


def float_layers(ladder: Ladder) -> Iterator[Step]:
    """The most sensitive layers kept float, one more at a time (only with --allow-float budget)."""
    job, first = ladder.job, ladder.first
    if "budget" not in job.options.allow_float:
        raise _Skip("float is not allowed: add --allow-float budget")
    int8 = job.options.replace(activations="int8")  # TFLite keeps layers float only on its int8 path
    base = first.quant.calibrated
    if first.quant.activations != "int8":
        base = calibrate_stage(job.src.tflite, job.calib, int8, show_progress=job.show_progress)
    ranking, nodes = _most_sensitive_layers(job, base.float_model)
    keep: list[str] = []
    for layer in ranking[:MAX_FLOAT_LAYERS]:
        keep.append(layer)
        q = quantize_stage(base, job.calib, int8, keep_float=[t for k in keep for t in nodes.get(k, [])],
                           show_progress=job.show_progress)
        yield f"float: {', '.join(keep)}", q, {"float_layers": list(keep)}


def qat(ladder: Ladder) -> Iterator[Step]:
    """Quantization-aware fine-tuning (:mod:`edgeq.qat`) of a Keras model on ``--train-data``, int8 weights
    (the ladder compares int8-weight models; ``--weights int4`` is applied to the winner afterwards)."""
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from ..model_source import load_model
    from ..qat import finetune
    from ..qat.convert import qat_job

    job = ladder.job
    if job.train is None:
        raise _Skip("no training data: give labelled --train-data to fine-tune with quantization-aware training")
    if job.src.kind != "keras" or not Path(job.src.path).is_file():
        raise _Skip(f"quantization-aware training fine-tunes Keras model files; this model is {job.src.kind}")
    if ladder.first.quant.activations != "int8":
        return
    ft = finetune(job.src.path, job.train, eval_data=job.ev, calib_data=job.calib, weights="int8",
                  options=job.options.replace(weights="int8"), verify=False, show_progress=job.show_progress)
    with tempfile.TemporaryDirectory(prefix="edgeq-qat-rung-") as tmp:
        sub = qat_job(replace(job, src=load_model(ft.save(Path(tmp) / "qat.keras"))))
    q = quantize_stage(sub.src.tflite, job.calib, sub.options, show_progress=job.show_progress)
    yield (f"qat: {ft.report['epochs']} epochs int8", q,
           {"qat_epochs": ft.report["epochs"], "qat_training_samples": ft.report["training_samples"],
            "qat_fixed_ranges": ft.report["fixed_ranges"]})


class _Skip(Exception):
    """A rung that does not apply; its message goes in the trail."""


#: the ladder's rungs after int8, cheapest first
RUNGS: list[tuple[str, Callable[[Ladder], Iterator[Step]]]] = [
    ("int16 islands", int16_islands),
    ("int16 activations", int16_whole),
    ("qat", qat),
    ("float layers", float_layers),
]


@dataclass(frozen=True)
class _Rung:
    """One step of the ladder, measured."""

    quant: QuantizeResult
    evaluation: dict
    gap: float
    label: str
    notes: dict


def meet_budget(job: ConvertJob, first: Candidate) -> Candidate:
    """The cheapest rung that meets the target (else the closest), its report in ``.budget``."""
    options = job.options
    target = Target(options.max_accuracy_drop, options.min_sqnr_db)
    target.check(first.evaluation)
    names = [o["name"] for o in first.evaluation["outputs"]]
    base_bytes = len(first.model)
    trail: list[dict] = []

    def record(label: str, quant: QuantizeResult, evaluation: dict, notes: dict) -> _Rung:
        r = _Rung(quant, evaluation, target.shortfall(evaluation), label, notes)
        row = {"step": label, "bytes": len(quant.model), "size_vs_int8": round(len(quant.model) / base_bytes, 4),
               "met": r.gap <= 0, **{k: v for k, v in notes.items() if not k.startswith("_")}}
        if not math.isinf(min_sqnr(evaluation)):
            row["min_sqnr_db"] = min_sqnr(evaluation)
        if target.max_drop is not None:
            row["drop_points"] = drop_points(evaluation)
        if "quant_accuracy" in evaluation["outputs"][0]:
            row["accuracy"] = evaluation["outputs"][0]["quant_accuracy"]
        cos = [o["cosine_mean"] for o in evaluation["outputs"] if o.get("kind") != "class" and "cosine_mean" in o]
        if cos:
            row["cosine_mean"] = min(cos)
        trail.append(row)
        return r

    best = record(first.quant.activations, first.quant, first.evaluation, {})

    def done(r: _Rung) -> Candidate:
        report = {"max_drop_points": target.max_drop, "min_sqnr_db": target.min_sqnr_db, "met": r.gap <= 0,
                  "chosen": r.label, "float_layers": r.notes.get("float_layers", []), "bytes": len(r.quant.model),
                  "size_cost_bytes": len(r.quant.model) - base_bytes, "trail": trail}
        if target.max_drop is not None:
            report["drop_points"] = drop_points(r.evaluation)
        return Candidate(r.quant.model, r.quant, job.summarize(r.quant.model, r.quant.io), r.evaluation,
                         budget=report, smoothing=r.notes.get("_smoothing"))

    if best.gap <= 0:
        return done(best)
    ladder = Ladder(job, first)
    for rung_name, rung in RUNGS:
        try:
            for label, quant, notes in rung(ladder):
                r = record(label, quant, job.evaluate(quant.model, names), notes)
                if r.gap <= 0:
                    return done(r)
                best = min(best, r, key=lambda c: c.gap)
        except _Skip as e:
            trail.append({"step": rung_name, "skipped": str(e)})
        except EdgeqError as e:
            trail.append({"step": rung_name, "error": str(e)})
    return done(best)


def _most_sensitive_layers(job: ConvertJob, float_model: bytes) -> tuple[list[str], dict[str, list[str]]]:
    """Layers, most sensitive first (ranked on at most SENSITIVITY_SAMPLES eval samples), and their tensors."""
    from ..analysis.sensitivity import layer_sensitivity, quantizable_layers

    src, ev = job.src, job.ev
    ev_small = Samples([x[:SENSITIVITY_SAMPLES] for x in ev.inputs],
                       None if ev.labels is None else ev.labels[:SENSITIVITY_SAMPLES])
    ranking = layer_sensitivity(float_model, list(job.calib), list(ev_small), labels=ev_small.labels,
                                known_layers=src.layer_names, output_layers=src.output_layers,
                                progress=job.show_progress)
    return [r.layer for r in ranking], quantizable_layers(float_model, src.layer_names, src.output_layers)
