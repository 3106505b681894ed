"""The ``edgeq`` command.

User mistakes (EdgeqError) print one line and exit 2, without a traceback;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .analysis.cli import debug_command, inspect_command
from .compile.cli import compile_command
from .converter.cli import convert
from .errors import EdgeqError
from .int4.cli import int4
from .lab.cli import lab
from .profiling.cli import devices, profile
from .qat.cli import finetune_command
from .report import to_json


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="edgeq")
def cli() -> None:
    """edgeq: deploy trained models to edge devices.

    \b
    Typical flow:
      edgeq convert model.keras --data calib/ --eval-data val.npz -o model_int8.tflite
      edgeq inspect model_int8.tflite
      edgeq profile model_int8.tflite --device local --delegate xnnpack --delegate cpu
    """


#: every subcommand: name → the click command of the package that does the work
COMMANDS: dict[str, click.Command] = {
    "convert": convert,
    "finetune": finetune_command,
    "inspect": inspect_command,
    "debug": debug_command,
    "int4": int4,
    "profile": profile,
    "devices": devices,
    "lab": lab,
    "compile": compile_command,
}
for _name, _command in COMMANDS.items():
    cli.add_command(_command, _name)


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
    except click.exceptions.Abort:
        click.echo("edgeq: aborted", err=True)
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
