"""``edgeq inspect`` (what a .tflite holds) and ``edgeq debug`` (where an integer model departs from
its float original, layer by layer)."""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from ..datasets import InputSpec, load_samples
from ..errors import EdgeqError, ModelError
from ..runtime import Interpreter, parse_delegate_options
from ..tflite_schema import read_model
from .debug_report import check_report_path, format_table, write_report
from .layer_errors import compare_layers


def _load_data(data: str, float_model: bytes,
               max_samples: int | None) -> tuple[list[list[np.ndarray]], np.ndarray | None]:
    """Samples (batch-1 lists) and labels, if the data has them."""
    interp = Interpreter(float_model, resolver="builtin")
    specs = [InputSpec(s.name, s.shape, s.dtype) for s in interp.inputs]
    samples = load_samples(data, specs, max_samples=max_samples, role="debug")
    return [s for s in samples], samples.labels


def _read_model_file(path: str, role: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{role} '{path}' does not exist: give the path of a .tflite file")
    data = p.read_bytes()
    read_model(data, f"{role} '{path}'")  # fails early with a clear message on non-tflite files
    return data


def _read_float_model(path: str) -> bytes:
    """The float model as .tflite bytes: a .tflite as is, a Keras file or SavedModel converted as edgeq convert reads it."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in (".keras", ".h5", ".hdf5"):
        from ..model_source import load_model
        return load_model(p).tflite
    return _read_model_file(path, "float model")


def _float_as_converted(fb: bytes, qb: bytes) -> tuple[bytes, list[str]]:
    """The float model as edgeq's conversion of ``qb`` saw it, where that changed its tensors but not its outputs,
    and notes saying so.

    SmoothQuant smoothing (the budget ladder's int16-islands rung) divides FULLY_CONNECTED inputs per channel by
    factors from the calibration data and multiplies the weights by them: the smoothed inputs are copies named
    ``.../smoothed`` that the float model as given lacks, so their ops went unmatched and the FCs reading them had
    no input error. The manifest keeps the factors; applying them to ``fb`` makes the same graph.

    Cross-layer equalization (on by default) scales each pair's middle tensor per channel: compared with the
    float model as given, the first conv of every pair showed a loss it does not have (MobileNetV2: 22.8 dB
    and 4.8 steps RMS at ``expanded_conv_project``) and the next one a gain. The recipe in ``qb``'s manifest
    says whether it ran; equalization is data-free, so running it again on ``fb`` gives the same scales.
    """
    from .model_info import manifest_of
    man = manifest_of(read_model(qb)) or {}
    notes: list[str] = []
    sm = man.get("smoothing") if isinstance(man.get("smoothing"), dict) else {}
    if sm.get("scales"):
        from ..quantize.smooth import decode_scales, smooth_model
        try:
            fb_s, rep = smooth_model(fb, [], scales=decode_scales(sm["scales"]))
        except Exception as e:  # noqa: BLE001 - the comparison still runs, against the float model as given
            notes.append(f"the conversion smoothed FULLY_CONNECTED inputs but the float model could not be smoothed "
                         f"the same way here ({str(e).strip() or type(e).__name__}): the smoothed inputs' ops are "
                         "not compared")
        else:
            fb = fb_s
            notes.append(f"compared with the float model after the conversion's SmoothQuant smoothing ({rep.inputs} "
                         f"FULLY_CONNECTED inputs divided per channel by the manifest's factors, {rep.fcs} FCs' "
                         "weights multiplied by them: exact in float)")
    recipe = man.get("recipe") if isinstance(man.get("recipe"), dict) else {}
    if not recipe.get("equalize"):
        return fb, notes
    from ..options import ConvertOptions
    from ..quantize.stage import improve_float_model
    try:
        eq, done = improve_float_model(fb, ConvertOptions(equalize=True, weight_clipping=False))
    except Exception as e:  # noqa: BLE001 - the comparison still runs, against the float model as given
        return fb, notes + [f"the conversion equalized conv pairs but the float model could not be equalized here "
                            f"({type(e).__name__}): layers inside equalized pairs show per-channel scaling as error"]
    pairs = done.get("cross_layer_equalization_pairs", 0)
    if not pairs:
        return fb, notes
    return eq, notes + [f"compared with the float model after the conversion's cross-layer equalization ({pairs} "
                        f"conv pairs; exact in float, it rescales the tensor between each pair per channel)"]


@click.command("debug")
@click.argument("float_model", type=click.Path())
@click.argument("quant_model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, help="samples: .npy/.npz file, image folder or module:function")
@click.option("--max-samples", type=int, default=32, show_default=True, help="compare on at most this many samples")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON instead of a table")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="also write report.html (SVG bars) or .json")
@click.option("--sensitivity", is_flag=True,
              help="also quantize one layer at a time (rest float) and rank layers by the output damage")
@click.option("--import", "imports", multiple=True, metavar="MODULE",
              help="import MODULE first (where a Keras model's custom layers are defined); repeatable")
def debug_command(float_model: str, quant_model: str, data: str, max_samples: int, as_json: bool,
                  output: str | None, sensitivity: bool, imports: tuple[str, ...]) -> None:
    """Per-layer error of QUANT_MODEL against FLOAT_MODEL: SQNR, RMSE/step, cosine, worst first."""
    if max_samples < 1:
        raise EdgeqError(f"--max-samples {max_samples} is not a positive count: give 1 or more")
    if output:
        check_report_path(Path(output))  # fail before the slow part, not after
    from ..model_source import import_modules
    import_modules(imports)
    fb = _read_float_model(float_model)
    qb = _read_model_file(quant_model, "quantized model")
    samples, labels = _load_data(data, fb, max_samples)
    fb_cmp, notes = _float_as_converted(fb, qb)
    report = compare_layers(fb_cmp, qb, samples)
    report.notes.extend(notes)
    if sensitivity:
        from .sensitivity import layer_sensitivity
        report.sensitivity = layer_sensitivity(fb, samples, samples, labels=labels)
    if output:
        write_report(report, Path(output))
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_table(report))


def _delegate_options(delegate: str | None, given: tuple[str, ...]) -> dict[str, str]:
    if given and delegate not in ("cpu", "gpu"):
        raise EdgeqError("--delegate-option is for edgeq's delegates: add --delegate cpu or --delegate gpu")
    opts = parse_delegate_options(given, "edgeq inspect", reserved=("report_path",))
    out = {}
    for key, value in opts.items():  # gpu:KEY as edgeq profile takes it, for the one delegate given
        which, colon, name = key.partition(":")
        if colon and which != delegate:
            raise EdgeqError(f"--delegate-option {key} is for the {which} delegate, and --delegate is {delegate}")
        out[name if colon else key] = value
    return out


@click.command("inspect")
@click.argument("model", type=click.Path())
@click.option("--delegate", type=click.Choice(["cpu", "gpu", "xnnpack"]), default=None,
              help="Also load MODEL here with this delegate and show where each node runs and, for each node "
                   "the delegate leaves to the runtime's kernels, why.")
@click.option("--delegate-option", "delegate_options", multiple=True, metavar="KEY=VALUE",
              help="With --delegate cpu|gpu: an option of edgeq's delegate (delegates/README.md), e.g. "
                   "ops=CONV_2D,ADD to let it take only those ops. Repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect_command(model: str, delegate: str | None, delegate_options: tuple[str, ...], as_json: bool) -> None:
    """Show what MODEL.tflite holds: inputs and outputs with their quantization, every op with its
    tensor types, weight bytes by type, and any op that is not integer; with --delegate, where each
    node runs."""
    from ..report import format_summary, to_json
    from .model_info import summarize

    p = Path(model)
    if p.is_dir():
        raise EdgeqError(f"model '{model}' is a folder: give a .tflite file")
    if not p.is_file():
        raise EdgeqError(f"model '{model}' does not exist: check the path")
    opts = _delegate_options(delegate, delegate_options)
    info = summarize(p.read_bytes(), source=f"'{model}'")
    if delegate:
        from ..profiling.ondevice.placement import placement_here

        if opts:  # a bad option (an op the delegate does not have, ...) is the delegate's own one line
            Interpreter(str(p), resolver="builtin", delegates=[delegate], delegate_options=opts)
        info["placement"] = placement_here(str(p), delegate, options=opts)
        if not info["placement"]["available"]:
            raise EdgeqError(f"'{model}' does not load with the {delegate} delegate here: "
                             f"{info['placement']['reason']}; EDGEQ_DELEGATE_VERBOSE=1 shows the delegate's log")
    if as_json:
        click.echo(to_json(info))
        return
    click.echo(format_summary(info, model))
    if delegate:
        from ..profiling.reporting.terminal import placement_table

        click.echo("\n".join(placement_table(info["placement"], {o["index"]: o["layer"] for o in info["ops"]})))
