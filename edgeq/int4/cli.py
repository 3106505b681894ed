"""``edgeq int4``: rewrite an int8 .tflite to int4 weights."""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from ..atomic import write_files_atomic
from ..errors import DataError, EdgeqError


def _read(path: str, what: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise EdgeqError(f"{what} '{path}' does not exist: check the path")
    return p.read_bytes()


def _load_npy(path: str, what: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{what} '{path}' does not exist: give a .npy file")
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(f"{what} '{path}' is not a readable .npy array ({e}): save it with numpy.save") from None


@click.command("int4")
@click.argument("int8_model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="int4 .tflite to write")
@click.option("--float-model", "float_model", type=click.Path(dir_okay=False),
              help="float .tflite the int8 model came from (better int4 weights; needed for gptq)")
@click.option("--layers", default=None, help="comma-separated layer names to make int4 (default: all eligible)")
@click.option("--rounding", type=click.Choice(["nearest", "gptq"]), default="nearest", show_default=True)
@click.option("--samples", type=click.Path(dir_okay=False), help=".npy float inputs [N, ...] for gptq / mixed")
@click.option("--labels", type=click.Path(dir_okay=False), help=".npy integer labels for --max-accuracy-drop")
@click.option("--max-accuracy-drop", type=float, default=None,
              help="choose int4/int8 per layer: smallest model within this many accuracy points of float "
                   "(needs --float-model, --samples, --labels)")
@click.option("--strict", is_flag=True, help="fail if a selected layer must stay int8")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="write the JSON report here")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of the table.")
def int4(int8_model: str, output: str, float_model: str | None, layers: str | None, rounding: str,
         samples: str | None, labels: str | None, max_accuracy_drop: float | None, strict: bool,
         report_path: str | None, as_json: bool) -> None:
    """Rewrite the weights of INT8_MODEL's FC / conv / depthwise layers to INT4."""
    from .mixed import format_pareto, mixed_precision
    from .transform import format_report, plan_int4, emit_int4

    q8 = _read(int8_model, "int8 model")
    fl = _read(float_model, "float model") if float_model else None
    xs = _load_npy(samples, "samples") if samples else None
    names = [s.strip() for s in layers.split(",") if s.strip()] if layers else None
    if max_accuracy_drop is not None:
        if fl is None or xs is None or not labels:
            raise EdgeqError("--max-accuracy-drop needs --float-model, --samples and --labels: "
                             "pass all three or drop the option")
        ys = _load_npy(labels, "labels")
        plan = plan_int4(q8, float_model=fl, layers=names, rounding=rounding, samples=xs, strict=strict, progress=not as_json)
        out, rep = mixed_precision(q8, fl, xs, ys, max_accuracy_drop=max_accuracy_drop, plan=plan, show_table=False)
        if not as_json:
            click.echo(format_pareto(rep))
    else:
        plan = plan_int4(q8, float_model=fl, layers=names, rounding=rounding, samples=xs, strict=strict, progress=not as_json)
        if not any(r.get("old_type") == "int8" for r in plan.rows.values()):
            # it wrote the model back unchanged with a table of float weights (or, for fp16 ones, an empty table)
            raise EdgeqError(f"'{int8_model}' has no FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D layer with int8 "
                             "weights to make int4 (a float model?): convert it first, e.g. edgeq convert MODEL "
                             "--data SAMPLES --weights int4 -o MODEL_int4.tflite")
        out, rep = emit_int4(plan)
    files = {output: out}
    if report_path:
        files[report_path] = (json.dumps(rep, indent=2, default=float) + "\n").encode()
    write_files_atomic(files)
    click.echo(json.dumps(rep, indent=2, default=float) if as_json else format_report(rep))
