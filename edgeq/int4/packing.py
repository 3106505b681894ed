"""TFLite's dense INT4 storage: two's-complement nibbles, two per byte.

Element 2i sits in the low nibble and element 2i+1 in the high nibble of byte i;
an odd count leaves the last byte's high nibble zero (LiteRT's
``PackInt8IntoDenseInt`` / ``UnpackDenseInt4IntoInt8``).
"""
from __future__ import annotations

import numpy as np

from ..errors import EdgeqError

INT4_MIN, INT4_MAX = -8, 7


def pack_int4(values: np.ndarray) -> bytes:
    """Pack integers in [-8, 7] (any shape, flattened in C order) into ceil(n/2) bytes."""
    v = np.asarray(values)
    if v.size and not np.issubdtype(v.dtype, np.integer):
        raise EdgeqError(f"pack_int4 needs integer values, got dtype {v.dtype}: round and cast first")
    v = v.reshape(-1).astype(np.int16)
    if v.size and (v.min() < INT4_MIN or v.max() > INT4_MAX):
        raise EdgeqError(f"int4 values must lie in [-8, 7], got [{v.min()}, {v.max()}]: clip before packing")
    nib = (v & 0x0F).astype(np.uint8)
    if nib.size % 2:
        nib = np.append(nib, np.uint8(0))
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8).tobytes()


def unpack_int4(data: bytes, count: int) -> np.ndarray:
    """The first ``count`` int4 values stored in ``data``, as int8."""
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if count < 0 or (count + 1) // 2 > raw.size:
        raise EdgeqError(f"{raw.size} bytes hold at most {2 * raw.size} int4 values, asked for {count}: "
                         "pass the tensor's element count")
    out = np.empty(raw.size * 2, dtype=np.int8)
    # sign-extend each nibble: shift it to the top of an int8, then arithmetic-shift back
    out[0::2] = (raw << 4).astype(np.uint8).view(np.int8) >> 4
    out[1::2] = raw.view(np.int8) >> 4
    return out[:count].copy()
