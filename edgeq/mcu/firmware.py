"""Build edgeq's firmware (``devices/firmware``) around a compiled model with arm-none-eabi-gcc."""
from __future__ import annotations

import shutil
import subprocess
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EdgeqError
from ..resources import devices_dir
from .boards import Board

CC = "arm-none-eabi-gcc"
SIZE = "arm-none-eabi-size"
OPT = ("-O2",)


@dataclass
class Firmware:
    elf: Path
    board: Board
    text_bytes: int      # flash: code, constants (weights), initial data
    data_bytes: int
    bss_bytes: int       # RAM besides the stack: the arena, the input copy, firmware state
    stack_bytes: int     # reserved by the linker script
    function_bytes: dict[str, int] = field(default_factory=dict)   # code size of each function
    frame_bytes: dict[str, int] = field(default_factory=dict)      # stack frame of each function (-fstack-usage)


def toolchain() -> str:
    cc = shutil.which(CC)
    if cc is None:
        raise EdgeqError(f"{CC} is not installed: apt-get install gcc-arm-none-eabi (Debian/Ubuntu), or put the "
                         "Arm GNU toolchain on PATH")
    return cc


def build(model_dir: Path, board: Board, out_elf: Path, extra_cflags: tuple[str, ...] = ()) -> Firmware:
    """Compile firmware + the model in ``model_dir`` (``edgeq compile --name model``) into ``out_elf``."""
    cc = toolchain()
    fw = devices_dir() / "firmware"
    bdir = fw / "boards" / board.name
    if not (bdir / "bsp.c").is_file():
        raise EdgeqError(f"no firmware port for board '{board.name}' in {fw / 'boards'}")
    model_dir = Path(model_dir)
    if not (model_dir / "model.c").is_file():
        raise EdgeqError(f"{model_dir} holds no compiled model: run edgeq compile MODEL --name model -o {model_dir}")
    sources = [fw / "fw_main.c", fw / "sha256.c", fw / "cortex_m" / "startup.c", bdir / "bsp.c",
               model_dir / "model.c", *sorted((model_dir / "edgeq_kernels").glob("*.c"))]
    out_elf.parent.mkdir(parents=True, exist_ok=True)
    hook = "EDGEQ_OP_HOOK(i)=do{extern void fw_op_hook(int);fw_op_hook(i);}while(0)"
    cmd = [cc, *board.cflags, "-mthumb", *OPT, "-std=c99", "-g", "-Wall", "-ffunction-sections", "-fdata-sections",
           "-ffreestanding", f"-D{hook}", "-I", str(model_dir), "-I", str(fw),
           *extra_cflags, *map(str, sources), "-nostdlib", "-nostartfiles", "-lgcc",
           "-L", str(fw / "cortex_m"), "-T", str(bdir / "memory.ld"), "-Wl,--gc-sections",
           f"-Wl,-Map={out_elf.with_suffix('.map')}", "-o", str(out_elf)]
    r = subprocess.run([*cmd, "-fstack-usage"], capture_output=True, text=True)
    frames = _frames(out_elf)
    if r.returncode != 0:
        msg = r.stderr.strip().splitlines()
        hint = next((ln for ln in msg if "overflowed" in ln or "undefined reference" in ln or "error:" in ln),
                    msg[-1] if msg else "")
        raise EdgeqError(f"firmware build for {board.name} failed: {hint.strip()}")
    fw = _sizes(out_elf, board)
    fw.frame_bytes = frames
    fw.function_bytes = _functions(out_elf)
    return fw


def _frames(elf: Path) -> dict[str, int]:
    """Stack frames from gcc -fstack-usage, which writes ELF-source.su beside the ELF (removed here)."""
    out: dict[str, int] = {}
    for su in elf.parent.glob(f"{elf.name}-*.su"):
        for ln in su.read_text().splitlines():
            parts = ln.split("\t")
            if len(parts) >= 2 and parts[1].isdigit():
                out[parts[0].rsplit(":", 1)[-1]] = int(parts[1])
        su.unlink()
    return out


def _functions(elf: Path) -> dict[str, int]:
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        return {}
    r = subprocess.run([nm, "-S", "--size-sort", str(elf)], capture_output=True, text=True)
    out = {}
    for ln in r.stdout.splitlines():
        m = re.fullmatch(r"[0-9a-f]+ ([0-9a-f]+) [tT] (\S+)", ln.strip())
        if m:
            out[m.group(2)] = int(m.group(1), 16)
    return out


def _sizes(elf: Path, board: Board) -> Firmware:
    size = shutil.which(SIZE)
    text = data = bss = 0
    if size:
        r = subprocess.run([size, "-A", str(elf)], capture_output=True, text=True)
        for ln in r.stdout.splitlines():
            parts = ln.split()
            if len(parts) >= 2 and parts[1].isdigit():
                n = int(parts[1])
                if parts[0] in (".text", ".ARM.exidx"):
                    text += n
                elif parts[0] == ".data":
                    data += n
                elif parts[0] == ".bss":
                    bss += n
    stack = 8 * 1024
    return Firmware(elf, board, text + data, data, bss, stack)


def compile_and_build(model: bytes, board: Board, workdir: Path, target: str | None = None):
    """``edgeq compile`` for the board's target (or ``target``) into workdir/model, then the firmware
    into workdir/firmware.elf. Returns (CompiledModel, Firmware)."""
    from ..compile import compile_model, write_output
    cm = compile_model(model, target or board.target, "model")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    write_output(cm, Path(workdir) / "model")
    return cm, build(Path(workdir) / "model", board, Path(workdir) / "firmware.elf")
