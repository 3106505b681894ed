"""``edgeq compile``: the click command (registered by the main ``edgeq`` group)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import EdgeqError
from .lower import TARGETS


def _fmt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _table(report: dict) -> str:
    built = report["ops"] and "code_bytes" in report["ops"][0]
    extra = f" {'code B':>7} {'stack':>6}" if built else ""
    rows = [f"{'#':>3}  {'op':<18} {'layer':<24} {'kernel':<44} {'MACs':>10} {'flash B':>9}{extra} {'scratch':>7}"
            "  in place"]
    for o in report["ops"]:
        more = f" {o['code_bytes']:>7,} {o['stack_bytes']:>6,}" if built else ""
        rows.append(f"{o['index']:>3}  {o['op']:<18.18} {o['layer']:<24.24} {o['kernel']:<44.44} {o['macs']:>10,} "
                    f"{o['flash_bytes']:>9,}{more} {o['scratch_bytes']:>7,}  {o['in_place'] or ''}")
    return "\n".join(rows)


@click.command("compile")
@click.argument("model", type=click.Path())
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(), metavar="OUT/",
              help="Folder for NAME.h, NAME.c and edgeq_kernels/ (written only if compilation succeeds).")
@click.option("--target", type=click.Choice(list(TARGETS)), default=None,
              help="generic-c: portable C99 (any compiler); cortex-m4 / cortex-m7: DSP-extension kernels "
                   "(SXTB16/SMLAD); cortex-m55: Helium (MVE) kernels. Default: the --board's core, else generic-c.")
@click.option("--name", default="model", show_default=True,
              help="C prefix of the API: NAME_invoke(), NAME_input(i), NAME_output(i), NAME_ARENA_BYTES.")
@click.option("--board", default=None, metavar="BOARD",
              help="Also build edgeq's firmware for this board into OUT/firmware.elf (mps2-an386, mps3-an547, "
                   "nucleo-h743zi, nrf52840-dk; needs arm-none-eabi-gcc). The firmware expects --name model.")
@click.option("--tflm/--no-tflm", default=True, show_default=True,
              help="Compare RAM with TFLite Micro's arena for the same model (needs the tflite-micro package).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def compile_command(model, out_dir, target, name, board, tflm, as_json) -> None:
    """Compile a fully-integer MODEL (.tflite) into plain C99 with an arena planned ahead of time.

    \b
    The output needs no TFLite, no flatbuffers, no heap and no libc beyond memcpy/memset:
      cc -O2 -c OUT/NAME.c OUT/edgeq_kernels/*.c
    and in your code:
      memcpy(NAME_input(0), features, NAME_INPUT0_BYTES);
      NAME_invoke();
      const int8_t* scores = NAME_output(0);
    An op without an MCU kernel stops compilation with one line naming the op and its layer.
    """
    from . import compile_model, write_output
    from .report import tflm_arena
    try:
        path = Path(model)
        if not path.is_file():
            raise EdgeqError(f"model '{model}' not found: give the path of a .tflite file")
        data = path.read_bytes()
        b = None
        if board:
            from ..mcu.boards import board as find_board
            b = find_board(board)
            if name != "model":
                raise EdgeqError("--board builds edgeq's firmware, which calls the model 'model': drop --name")
        cm = compile_model(data, target or (b.target if b else "generic-c"), name, source=str(path))
        report = cm.report
        if tflm:
            try:
                arena = tflm_arena(data)
            except EdgeqError as e:
                arena, report["tflm_note"] = None, str(e)
            if arena:
                report["ram"]["tflm_arena_bytes"] = arena
                report["ram"]["ratio_to_tflm"] = round(cm.plan.arena_bytes / arena, 3)
                report["ram"]["tflm_note"] = ("TFLite Micro's arena measured with the tflite-micro package on this "
                                              "host (64-bit pointers: its persistent part is smaller on a 32-bit MCU)")
        written = write_output(cm, out_dir)
        if b is not None:
            from ..mcu.firmware import build
            from .report import attach_build
            fw = build(Path(out_dir), b, Path(out_dir) / "firmware.elf")
            attach_build(report, cm, fw)
            report["firmware"] = {"board": b.name, "elf": str(fw.elf), "flash_bytes": fw.text_bytes,
                                  "ram_bytes": report["ram"]["firmware_bytes"]}
    except EdgeqError as e:
        if as_json:
            click.echo(json.dumps({"error": str(e), "kind": type(e).__name__}))
        click.echo(f"edgeq: error: {e}", err=True)
        sys.exit(e.exit_code)
    if as_json:
        click.echo(json.dumps(report, indent=1, default=str))
        return
    click.echo(_table(report))
    ram = report["ram"]
    tf = ram.get("tflm_arena_bytes")
    click.echo(f"\nflash: {_fmt(report['flash']['weights_bytes'])} B of weights and constants")
    click.echo(f"RAM:   {_fmt(ram['arena_bytes'])} B arena (activations + scratch; largest scratch "
               f"{_fmt(ram['scratch_bytes'])} B)" + (f", TFLite Micro needs {_fmt(tf)} B "
                                                       f"({ram['ratio_to_tflm']:.3f}x)" if tf else ""))
    click.echo(f"MACs:  {_fmt(report['macs'])} per inference")
    if report.get("dropped_ops"):
        click.echo(f"dropped (shape arithmetic nothing needs): {', '.join(o['op'] for o in report['dropped_ops'])}")
    if "firmware" in report:
        fw = report["firmware"]
        click.echo(f"firmware for {fw['board']}: {fw['elf']} ({_fmt(fw['flash_bytes'])} B flash, of which "
                   f"{_fmt(report['flash']['kernel_code_bytes'])} B kernel code; {_fmt(fw['ram_bytes'])} B RAM with "
                   f"an estimated {_fmt(ram['stack_estimate_bytes'])} B of stack)")
    click.echo(f"wrote {len(written)} files to {out_dir}")
