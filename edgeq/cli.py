"""The ``edgeq`` command.

User mistakes (EdgeqError) print one line and exit 2, without a traceback;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .errors import EdgeqError
from .report import to_json

#: every subcommand: name -> (module, click command in it, its one-line help). A command's module (and numpy,
#: which they all import) loads only when that command runs: `edgeq --help` imported all nine, 1.3 s of its
#: ~2 s on a loaded machine. tests/test_cli_lazy.py checks the help lines against the commands' own.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "convert": (".converter.cli", "convert",
                "Convert MODEL (.keras, .h5, SavedModel folder, or float .tflite) to a fully-integer TFLite model."),
    "finetune": (".qat.cli", "finetune_command",
                 "Quantization-aware fine-tuning of a Keras classifier, ready for `edgeq convert`."),
    "inspect": (".analysis.cli", "inspect_command",
                "Show what MODEL.tflite holds: inputs and outputs with their quantization, every op with its tensor "
                "types, weight bytes by type, and any op that is not integer; with --delegate, where each node runs."),
    "debug": (".analysis.cli", "debug_command",
              "Per-layer error of QUANT_MODEL against FLOAT_MODEL: SQNR, RMSE/step, cosine, worst first."),
    "int4": (".int4.cli", "int4", "Rewrite the weights of INT8_MODEL's FC / conv / depthwise layers to INT4."),
    "profile": (".profiling.cli", "profile",
                "Measure MODEL (.tflite) on one or more devices; write a JSON result and an HTML report."),
    "devices": (".profiling.cli", "devices",
                "List device profiles (devices/profiles/*.toml and $EDGEQ_DEVICE_PROFILES)."),
    "lab": (".lab.cli", "lab", "Emulated devices for CI without hardware: an arm64 Raspberry Pi (ssh), a phone "
            "(adb), an MCU board (serial)."),
    "compile": (".compile.cli", "compile_command",
                "Compile a fully-integer MODEL (.tflite) into plain C99 with an arena planned ahead of time."),
}


class _LazyGroup(click.Group):
    """The subcommands of :data:`COMMANDS`, each imported when it is asked for; the group's help lists them from
    the table without importing any."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module, __package__), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        with formatter.section("Commands"):
            formatter.write_dl([(n, click.utils.make_default_short_help(COMMANDS[n][2], limit)) for n in names])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="edgeq")
def cli() -> None:
    """edgeq: deploy trained models to edge devices.

    \b
    Typical flow:
      edgeq convert model.keras --data calib/ --eval-data val.npz -o model_int8.tflite
      edgeq inspect model_int8.tflite
      edgeq profile model_int8.tflite --device local --delegate xnnpack --delegate cpu
    """



def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user errors into one line and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    # keep TensorFlow's start-up notices off the terminal (set before anything imports it)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        cli.main(args=args, prog_name="edgeq", standalone_mode=False)
    except EdgeqError as e:
        if "--json" in args:
            click.echo(to_json({"error": str(e), "kind": type(e).__name__}))
        click.echo(f"edgeq: error: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        # click turns Ctrl-C into Abort: say which it was (edgeq's outputs are written atomically, so an
        # interrupted command leaves none half-written)
        ctrl_c = isinstance(e.__cause__ or e.__context__, KeyboardInterrupt)
        click.echo("edgeq: interrupted (Ctrl-C)" if ctrl_c else "edgeq: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        if "--json" in args:  # a usage error too: --json's stdout is one JSON document either way
            click.echo(to_json({"error": e.format_message(), "kind": type(e).__name__}))
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("edgeq: interrupted", err=True)
        sys.exit(130)
    except MemoryError:
        click.echo("edgeq: error: out of memory: use fewer or smaller samples (--max-samples, --image-size) "
                   "or a smaller model", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
