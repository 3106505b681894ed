"""Mixed int4/int8 per layer: smallest model within an accuracy budget.

Sensitivity of a layer = the metric drop when that layer alone is int4. Layers
are then added greedily by (bytes saved / sensitivity); each addition is kept
only if the whole model still meets the budget, measured on the eval data. The
accepted steps form the size-versus-accuracy table that is printed and returned.
Metric: top-1 accuracy in points against the float model when labels are given,
else output SQNR in dB against the float model's outputs.
"""
from __future__ import annotations

import math
from typing import Any, Collection, Sequence

import numpy as np

from ..errors import DataError, EdgeqError
from ..analysis.evaluate import sqnr_db
from ..progress import progress as progress_bar
from ..runtime import Interpreter
from .transform import Int4Plan, emit_int4, plan_int4

_EPS = 1e-6


def _outputs(model: bytes, x: np.ndarray, resolver: str = "default") -> np.ndarray:
    """Dequantized first output over the whole batch, in one invoke."""
    it = Interpreter(model, resolver=resolver)
    return it.run_float([x])[0]


class _Metric:
    """Accuracy (points) with labels, else SQNR (dB) against the float outputs."""

    def __init__(self, float_model: bytes, x: np.ndarray, y: np.ndarray | None):
        self.x, self.y = x, y
        self.ref = _outputs(float_model, x)
        self.name = "accuracy" if y is not None else "sqnr_db"
        self.float_value = self(self.ref)

    def __call__(self, out: np.ndarray) -> float:
        if self.y is not None:
            return 100.0 * float(np.mean(np.argmax(out.reshape(len(self.x), -1), axis=1) == self.y))
        return sqnr_db(self.ref, out)

    def of(self, model: bytes) -> float:
        return self(_outputs(model, self.x))


def mixed_precision(int8_model: bytes, float_model: bytes, eval_x: np.ndarray, eval_y: np.ndarray | None = None, *,
                    max_accuracy_drop: float = 1.0, min_sqnr_db: float = 20.0, rounding: str = "nearest",
                    samples: Any = None, layers: Collection[str] | None = None,
                    known_layers: Collection[str] | None = None, runtimes: Sequence[str] | None = None,
                    progress: bool = False, show_table: bool = True,
                    plan: Int4Plan | None = None) -> tuple[bytes, dict]:
    """Return (chosen mixed model, report with the Pareto table).

    With ``eval_y`` (integer labels) the budget is ``max_accuracy_drop`` points of
    top-1 accuracy below the float model; without, the model's output SQNR
    against the float model must stay ≥ ``min_sqnr_db``. ``layers`` limits which
    layers may become int4; ``plan`` reuses an :func:`plan_int4` result.
    """
    x = np.asarray(eval_x, np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise DataError(f"eval data has shape {x.shape}: pass a batch [N, ...] of model inputs")
    y = None if eval_y is None else np.asarray(eval_y).reshape(-1).astype(np.int64)
    if y is not None and len(y) != len(x):
        raise DataError(f"{len(x)} eval inputs but {len(y)} labels: pass one label per input")
    if plan is None:
        plan = plan_int4(int8_model, float_model=float_model, layers=layers, rounding=rounding, samples=samples,
                         known_layers=known_layers, runtimes=runtimes, progress=progress)
    metric = _Metric(float_model, x, y)

    def within(value: float) -> bool:
        if y is not None:
            return metric.float_value - value <= max_accuracy_drop + _EPS
        return value >= min_sqnr_db

    int8_value = metric.of(int8_model)
    if not within(int8_value):
        budget = f"{max_accuracy_drop} points" if y is not None else f"{min_sqnr_db} dB"
        raise EdgeqError(f"the int8 model alone misses the budget ({metric.name} {int8_value:.2f} vs float "
                         f"{metric.float_value:.2f}, budget {budget}): raise the budget or improve the int8 model")

    sens: dict[str, float] = {}
    for c in progress_bar(plan.passed, total=len(plan.passed), desc="int4 sensitivity", show=progress):
        model, _ = emit_int4(plan, [c.name])
        v = metric.of(model)
        sens[c.name] = (int8_value - v) if y is not None else max(_sqnr_db_drop(int8_value, v), 0.0)
    order = sorted(plan.passed, key=lambda c: plan.bytes_saved(c) / max(sens[c.name], _EPS), reverse=True)

    table = [{"step": 0, "layer": None, "int4_layers": 0, "bytes": len(int8_model), metric.name: int8_value,
              "accepted": True}]
    chosen: list[str] = []
    for step, c in enumerate(order, 1):
        model, _ = emit_int4(plan, chosen + [c.name])
        v = metric.of(model)
        ok = within(v)
        table.append({"step": step, "layer": c.name, "int4_layers": len(chosen) + 1, "bytes": len(model),
                      metric.name: v, "accepted": ok})
        if ok:
            chosen.append(c.name)
    out, report = emit_int4(plan, chosen)
    report.update({
        "metric": metric.name, "float_value": metric.float_value, "int8_value": int8_value,
        "final_value": metric.of(out),
        "budget": {"max_accuracy_drop": max_accuracy_drop} if y is not None else {"min_sqnr_db": min_sqnr_db},
        "sensitivity": sens, "pareto": table,
    })
    if show_table:
        print(format_pareto(report))
    return out, report


def _sqnr_db_drop(before: float, after: float) -> float:
    if math.isinf(before) and math.isinf(after):
        return 0.0
    return before - after


def format_pareto(report: dict) -> str:
    """The size-versus-metric table of :func:`mixed_precision`, one line per greedy step."""
    m = report["metric"]
    lines = [f"{'step':>4}  {'+int4 layer':24} {'#int4':>5} {'bytes':>9} {m:>10}  kept",
             f"{'':>4}  {'(float)':24} {'':>5} {report['sizes']['float_bytes'] or '':>9} "
             f"{report['float_value']:>10.2f}"]
    for r in report["pareto"]:
        lines.append(f"{r['step']:>4}  {(r['layer'] or '(int8)')[:24]:24} {r['int4_layers']:>5} {r['bytes']:>9} "
                     f"{r[m]:>10.2f}  {'yes' if r['accepted'] else 'no'}")
    return "\n".join(lines)
