"""Does a model fit a microcontroller? Flash holds the model, RAM holds the TFLite Micro tensor arena."""
from __future__ import annotations

import os
import re
import tempfile

from .errors import FitError

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def micro_arena_bytes(model: bytes) -> int | None:
    """Arena bytes TFLite Micro needs for ``model`` (None if tflite-micro is not installed).

    The pip package prints its RecordingMicroAllocator summary to C stderr only, so we
    capture fd 2 around ``print_allocations()`` and parse the total.
    """
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    try:
        interp = runtime.Interpreter.from_bytes(model)
    except (RuntimeError, ValueError) as e:
        raise FitError(f"TFLite Micro cannot load this model ({str(e).strip() or type(e).__name__}): "
                       "use only ops TFLM supports and full-integer quantization") from None
    return arena_of(interp)


def arena_of(interp: object) -> int:
    """Total arena bytes of a tflite_micro Interpreter, from its allocation printout."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as f:
        try:
            os.dup2(f.fileno(), 2)
            interp.print_allocations()  # type: ignore[attr-defined]
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read().decode("utf-8", "replace")
    m = _TOTAL.search(text)
    if not m:
        raise FitError("tflite-micro printed no arena total: upgrade the tflite-micro package")
    return int(m.group(1))


def fit_check(model: bytes, ram_bytes: int, flash_bytes: int, board: str) -> dict:
    """Raise FitError if ``model`` cannot fit ``board``; else what it will use. A size of 0 is unknown (a bare
    serial:// URI): that side is not checked, and the result says so."""
    if flash_bytes and len(model) > flash_bytes:
        raise FitError(f"model needs {len(model)} bytes of flash, {board} has {flash_bytes}: "
                       "shrink the model (int8/int4 weights, fewer channels) or pick a bigger board")
    arena = micro_arena_bytes(model)
    if arena is not None and ram_bytes and arena > ram_bytes:
        raise FitError(f"model needs a {arena}-byte tensor arena, {board} has {ram_bytes} bytes of RAM: "
                       "reduce activation sizes (input resolution, channels) or pick a bigger board")
    unknown = [k for k, v in (("flash", flash_bytes), ("RAM", ram_bytes)) if not v]
    return {"model_bytes": len(model), "flash_bytes": flash_bytes, "ram_bytes": ram_bytes,
            "checked": not unknown,
            "note": f"{' and '.join(unknown)} size unknown, not checked: use a device profile with ram_bytes "
                    "and flash_bytes" if unknown else None,
            "arena_bytes_estimate": arena,
            "arena_note": None if arena is None else
            "estimated by tflite-micro on the host (64-bit pointers: an upper bound for 32-bit MCUs)"}
