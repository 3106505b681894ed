"""``edgeq convert``: the command-line face of :func:`edgeq.convert`.

Every conversion flag is a :class:`~edgeq.options.ConvertOptions` field (defaults and
choices come from there); ``--recipe`` starts from an earlier conversion's options.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..datasets import NORMALIZATIONS, ImageOptions
from ..errors import EdgeqError
from ..options import ACTIVATION_TYPES, CALIBRATION_METHODS, INT4_ROUNDINGS, IO_CHOICES, WEIGHT_TYPES, ConvertOptions


def _parse_size(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        h, w = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise EdgeqError(f"--image-size '{value}' is not HxW: write e.g. 224x224") from None
    if not (1 <= h <= 8192 and 1 <= w <= 8192):
        raise EdgeqError(f"--image-size {value}: each side must be 1..8192 pixels, e.g. 224x224")
    return h, w


_DEFAULTS = ConvertOptions()
#: flags that together make ConvertOptions.image
_IMAGE_FLAGS = ("image_size", "color", "layout", "normalize")


@click.command("convert")
@click.argument("model", type=click.Path())
@click.option("-d", "--data", "data", metavar="CALIB",
              help="Calibration data: a folder of images (or of class sub-folders), a .npy/.npz file, "
                   "or module:function yielding samples. 100-500 representative samples is typical. "
                   "Required except with --activations float.")
@click.option("-o", "--output", required=True, type=click.Path(), metavar="OUT.tflite",
              help="Where to write the integer model (written atomically: a failed run leaves no file).")
@click.option("--eval-data", metavar="EVAL", help="Held-out data to measure agreement with the float model "
              "(an .npz may carry 'labels' for accuracy).")
@click.option("--labels", type=click.Path(), help="Labels for EVAL: .npy or .txt, one integer per sample.")
@click.option("--train-data", metavar="TRAIN", help="Labelled training data (an .npz with 'labels'): with "
              "--max-accuracy-drop, the ladder's 'qat' rung fine-tunes a Keras model with quantization-aware "
              "training on it when int8 and int16 miss the target.")
@click.option("--io", type=click.Choice(IO_CHOICES), default=_DEFAULTS.io, show_default=True,
              help="Type of the model's inputs and outputs. 'float' adds QUANTIZE/DEQUANTIZE at the edges; "
                   "int16 goes with --activations int16.")
@click.option("--activations", type=click.Choice(ACTIVATION_TYPES), default=_DEFAULTS.activations, show_default=True,
              help="int16 activations with int8 weights (TFLite's 16x8 mode) where int8 costs too much "
                   "accuracy; slower on most runtimes. float: dynamic range (int8/int4 weights, float activations "
                   "and I/O at run time; NOT fully integer, no calibration needed).")
@click.option("--per-tensor", is_flag=True, help="One weight scale per tensor instead of per channel "
              "(for NPUs that need it; usually costs accuracy).")
@click.option("--allow-float", "allow_float", multiple=True, metavar="OPS",
              help="Let these ops (types like RSQRT, or your layer names; comma-separated or repeated) stay float. "
                   "By default conversion fails if any op cannot be integer.")
@click.option("--calibration", type=click.Choice(CALIBRATION_METHODS), default=_DEFAULTS.calibration,
              show_default=True, help="How activation ranges are chosen: mse minimizes each tensor's int8 error; "
                                      "minmax is what TFLite's converter does; entropy is TensorRT's KL method; "
                                      "auto scores mse, minmax and percentile on held-out calibration samples and "
                                      "keeps TFLite's recipe (minmax, no equalization) unless one beats it sample by sample.")
@click.option("--equalize/--no-equalize", default=_DEFAULTS.equalize, show_default=True,
              help="Cross-layer equalization: evens out conv channels of very different magnitude (exact in float).")
@click.option("--bias-correction", is_flag=True, help="Correct conv/FC biases for the mean int8 error on CALIB.")
@click.option("--weight-clipping", is_flag=True, help="Clip weights per channel to their MSE-optimal int8 range.")
@click.option("--weights", type=click.Choice(WEIGHT_TYPES), default=_DEFAULTS.weights, show_default=True,
              help="int4: packed int4 weights for FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D (where stock "
                   "LiteRT runs them exactly; others stay int8, and the report says why). mixed: int4 or int8 per "
                   "layer, the smallest model within --max-accuracy-drop (default 1 point; needs --eval-data).")
@click.option("--int4-layers", multiple=True, metavar="LAYERS",
              help="Only these layers get int4 weights (comma-separated or repeated); implies --weights int4.")
@click.option("--int4-rounding", type=click.Choice(INT4_ROUNDINGS), default=_DEFAULTS.int4_rounding, show_default=True,
              help="gptq optimizes int4 weights layer by layer on the calibration data; nearest just rounds.")
@click.option("--max-accuracy-drop", type=float, metavar="POINTS",
              help="Accuracy budget against float on EVAL: if int8 loses more, try int16 islands and activations, "
                   "then (with --train-data) quantization-aware fine-tuning, then (with --allow-float budget) keep "
                   "the most sensitive layers float until within budget.")
@click.option("--min-sqnr", "min_sqnr_db", type=float, metavar="DB",
              help="Fidelity floor for outputs that are not class scores (coordinates, masks, embeddings): "
                   "every such output's SQNR against float on EVAL, in dB (20 dB ~ cosine 0.995). Below it the "
                   "report warns; with it the budget ladder climbs until it holds.")
@click.option("--percentile", type=float, default=_DEFAULTS.percentile, show_default=True,
              help="For --calibration percentile.")
@click.option("--max-samples", type=int, default=_DEFAULTS.max_samples, show_default=True,
              help="Use at most this many calibration samples.")
@click.option("--image-size", metavar="HxW", help="Resize images to this size, for a model whose input size is not "
                                                   "fixed (default: the model's input size; another size is refused).")
@click.option("--color", type=click.Choice(["rgb", "grayscale"]), help="Image color mode (default: from channels).")
@click.option("--layout", type=click.Choice(["nhwc", "nchw"]), help="Image tensor layout (default: from the input shape).")
@click.option("--normalize", type=click.Choice(list(NORMALIZATIONS)),
              help="Pixel scaling (default: 0..255 when the model starts with a Rescaling layer, else 0..1).")
@click.option("--recipe", type=click.Path(), help="Take options from an earlier conversion's manifest "
              "(OUT.manifest.json or the converted .tflite) to reproduce it; flags given here override it.")
@click.option("--report", "report_path", type=click.Path(), help="Also write the JSON report to this file.")
@click.option("--import", "imports", multiple=True, metavar="MODULE",
              help="Import MODULE (MODULE.py in this folder or on PYTHONPATH) first: where a Keras model's custom "
                   "layers are defined and registered. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def convert(ctx: click.Context, model: str, data: str | None, output: str, eval_data: str | None, labels: str | None,
            train_data: str | None, recipe: str | None, report_path: str | None, imports: tuple[str, ...],
            as_json: bool, **flags) -> None:
    """Convert MODEL (.keras, .h5, SavedModel folder, or float .tflite) to a fully-integer TFLite model.

    Int8 activations, per-channel int8 weights, int32 biases and int8 I/O by default: the result runs
    unchanged on LiteRT, tflite-runtime and TFLite Micro. The report gives sizes, every op with its
    tensor types, and (with --eval-data) accuracy against the float model.

    \b
    Examples:
      edgeq convert model.keras --data calib.npz -o model_int8.tflite
      edgeq convert mobilenet.tflite --data images/ --eval-data val/ --normalize -1..1 -o m.tflite
      edgeq convert model.keras --data calib.npy -o m.tflite --allow-float RSQRT --json
    """
    from ..atomic import write_files_atomic
    from ..report import format_conversion, to_json
    from .pipeline import convert as do_convert

    options = _options_from_flags(ctx, flags, recipe)
    out = Path(output)
    if out.is_dir():
        raise EdgeqError(f"-o {output} is a folder: give a file name such as {out / 'model_int8.tflite'}")
    for path, flag in ((out, "-o"), (Path(report_path) if report_path else None, "--report")):
        if path is None:
            continue
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise EdgeqError(f"{flag} folder '{parent}' does not exist: create it or choose another {flag} path")
        if not os.access(parent, os.W_OK):  # checked before the conversion's minutes, not after
            raise EdgeqError(f"{flag} folder '{parent}' is not writable (read-only or no permission): "
                             f"choose another {flag} path")
    from ..model_source import import_modules
    import_modules(imports)
    result = do_convert(model, data, eval_data=eval_data, labels=labels, options=options, train_data=train_data,
                        show_progress=not as_json)
    result.report["output"] = str(out)
    files = result.output_files(out)
    if report_path:
        files[Path(report_path)] = json.dumps(result.report, indent=2, default=str).encode()
    write_files_atomic(files)  # the model, its manifest and the report appear together or not at all
    if as_json:
        click.echo(to_json(result.report))
    else:
        click.echo(format_conversion(result.report, str(out)))


def _options_from_flags(ctx: click.Context, flags: dict, recipe: str | None) -> ConvertOptions:
    """The flags as ConvertOptions; with ``--recipe``, the recipe's options with the flags given here on top."""
    from click.core import ParameterSource

    values = {k: v for k, v in flags.items() if k not in _IMAGE_FLAGS}
    values["allow_float"] = tuple(a for item in flags["allow_float"] for a in item.split(","))
    values["int4_layers"] = tuple(x for item in flags["int4_layers"] for x in item.split(",") if x) or None
    values["image"] = ImageOptions(_parse_size(flags["image_size"]), flags["color"], flags["layout"],
                                   flags["normalize"])
    if not recipe:
        return ConvertOptions(**values)
    from .manifest import load_recipe

    def given(name: str) -> bool:
        names = _IMAGE_FLAGS if name == "image" else (name,)
        return any(ctx.get_parameter_source(n) == ParameterSource.COMMANDLINE for n in names)

    return load_recipe(recipe).replace(**{k: v for k, v in values.items() if given(k)})
