"""The boards edgeq's firmware is ported to (``devices/firmware/boards/<name>/``)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import EdgeqError


@dataclass(frozen=True)
class Board:
    name: str
    target: str                  # edgeq compile target
    cflags: tuple[str, ...]      # arm-none-eabi-gcc CPU / FPU flags
    qemu_machine: str | None     # qemu-system-arm -M, for emulated boards
    clock_hz: int                # core clock the port runs at
    flash_bytes: int             # what the port's linker script gives the image
    ram_bytes: int               # ... and data (arena, buffers, stack)
    flash_command: tuple[str, ...] = ()  # real boards: how to flash {elf} / {hex}
    notes: str = ""


BOARDS = {
    "mps2-an386": Board("mps2-an386", "cortex-m4", ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"),
                        "mps2-an386", 25_000_000, 4 << 20, 4 << 20, notes="QEMU: Cortex-M4F, MPS2 FPGA image AN386"),
    "mps3-an547": Board("mps3-an547", "cortex-m55", ("-mcpu=cortex-m55", "-mfloat-abi=hard"),
                        "mps3-an547", 32_000_000, 512 << 10, 2 << 20,
                        notes="QEMU: Cortex-M55 with Helium, Corstone-300 FPGA image AN547"),
    "nucleo-h743zi": Board("nucleo-h743zi", "cortex-m7", ("-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"),
                           None, 64_000_000, 2 << 20, 512 << 10,
                           ("openocd", "-f", "board/st_nucleo_h743zi.cfg", "-c", "program {elf} verify reset exit"),
                           "STM32H743ZI on its 64 MHz HSI clock (no PLL set up); data in the 512 KB AXI SRAM"),
    "nrf52840-dk": Board("nrf52840-dk", "cortex-m4", ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"),
                         None, 64_000_000, 1 << 20, 256 << 10,
                         ("nrfjprog", "--program", "{hex}", "--chiperase", "--verify", "--reset"), "nRF52840 at 64 MHz"),
}


def board(name: str) -> Board:
    b = BOARDS.get(name)
    if b is None:
        raise EdgeqError(f"unknown board '{name}': edgeq's firmware runs on {', '.join(BOARDS)}")
    return b
