"""The mcu-firmware runner: ``edgeq.mcu.runner`` does the work (compile, build, boot or flash, measure)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..devices import Device
    from . import Progress


def run(dev: Device, model: Path, configs: list[dict], opts: dict, keep: bool, progress: Progress,
        result: dict) -> None:
    from ...mcu.runner import run_mcu
    run_mcu(dev, model, opts, progress, result)
