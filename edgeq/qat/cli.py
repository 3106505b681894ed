"""``edgeq finetune``: the command-line face of :func:`edgeq.qat.finetune`."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import EdgeqError
from .finetune import DEFAULT_EPOCHS, DEFAULT_LR, QAT_WEIGHTS


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


@click.command("finetune")
@click.argument("model", type=click.Path())
@click.option("-d", "--data", "data", required=True, metavar="TRAIN",
              help="Labelled training data (an .npz with the input array and 'labels', or class sub-folders).")
@click.option("--eval-data", metavar="EVAL", help="Labelled held-out data: accuracy before and after, and the check "
              "that the converted model predicts what the fine-tuned one does.")
@click.option("--calib-data", metavar="CALIB", help="Calibration samples for the starting ranges "
              "(default: the first --max-samples training samples).")
@click.option("-o", "--output", required=True, type=click.Path(), metavar="OUT.keras",
              help="Where to write the fine-tuned Keras 3 model (with its QAT record; written atomically).")
@click.option("--epochs", type=int, default=DEFAULT_EPOCHS, show_default=True)
@click.option("--weights", type=click.Choice(QAT_WEIGHTS), default="int8", show_default=True,
              help="Weight precision to train for: int4 for every layer edgeq's int4 rewrite makes int4; mixed: "
                   "the layers a post-training --weights mixed conversion makes int4 (needs --eval-data).")
@click.option("--learning-rate", type=float, default=DEFAULT_LR, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--max-samples", type=int, default=500, show_default=True, help="Calibration samples used at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def finetune_command(model: str, data: str, eval_data: str | None, calib_data: str | None, output: str, epochs: int,
                     weights: str, learning_rate: float, batch_size: int, max_samples: int, as_json: bool) -> None:
    """Quantization-aware fine-tuning of a Keras classifier, ready for `edgeq convert`.

    Starts from edgeq's post-training quantization (same calibration as `edgeq convert`), trains with
    fake quantization that computes what the integer model computes (per-channel int8 or int4 weights,
    fixed activation scales and zero points, folded batch norms) and writes a Keras 3 model whose
    record makes `edgeq convert` use exactly those ranges.

    \b
    Example:
      edgeq finetune model.keras --data train.npz --eval-data val.npz -o model_qat.keras --weights int4
      edgeq convert model_qat.keras --data calib.npz -o model_int4.tflite
    """
    from ..options import ConvertOptions
    from ..report import to_json
    from .finetune import finetune

    out = Path(output)
    parent = out.parent if str(out.parent) else Path(".")
    if out.suffix.lower() != ".keras":
        raise EdgeqError(f"-o {output}: the fine-tuned model is a Keras 3 file: give a name ending in .keras")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise EdgeqError(f"-o folder '{parent}' does not exist or is not writable: choose another -o path")
    if batch_size < 1 or learning_rate <= 0:
        raise EdgeqError("--batch-size must be 1 or more and --learning-rate above 0")
    if max_samples < 1:
        raise EdgeqError(f"--max-samples {max_samples} is not a positive count: give 1 or more")
    result = finetune(model, data, eval_data=eval_data, calib_data=calib_data, weights=weights, epochs=epochs,
                      batch_size=batch_size, learning_rate=learning_rate,
                      options=ConvertOptions(max_samples=max_samples), show_progress=not as_json)
    result.save(out)
    r = result.report
    r["output"] = str(out)
    if as_json:
        click.echo(to_json(r))
        return
    int4 = f" (int4: {', '.join(r['int4_layers'])})" if r["int4_layers"] else ""
    click.echo(f"fine-tuned {model} -> {out} in {r['seconds']:.1f} s: {r['epochs']} epochs on "
               f"{r['training_samples']} samples, weights {r['weights']}{int4}, {r['fixed_ranges']} activation ranges "
               f"fixed from calibration '{r['calibration']['method']}'"
               + (f", batch norm folded: {', '.join(r['folded_batch_norm'])}" if r["folded_batch_norm"] else ""))
    if r.get("eval_samples"):
        click.echo(f"accuracy on {r['eval_samples']} eval samples: float {_pct(r['float_accuracy'])}, post-training "
                   f"{_pct(r['ptq_accuracy'])}, fake-quant {_pct(r['fake_quant_accuracy_before'])} -> after QAT "
                   f"{_pct(r['fake_quant_accuracy_after'])}")
    c = r.get("converted")
    if c:
        click.echo(f"converted as edgeq convert will: accuracy {_pct(c['accuracy'])}, predictions equal the "
                   f"fine-tuned model's on {_pct(c['agreement_with_fake_quant'])} of eval samples, "
                   f"{c['bytes'] / 1024:.1f} KB")
    click.echo(f"next: edgeq convert {out} --data CALIB -o model.tflite")
