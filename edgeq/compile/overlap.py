"""How far an op's output may overlap one of its inputs in the arena, from the op's access order.

A kernel walks its output in units (pixels, rows, elements). For unit u it writes output bytes
[w_lo, w_hi) and reads input bytes within [r_lo, r_hi). Placing the input at ``D`` bytes after
the output start is safe when running forward if no write ever lands on input a later unit still
reads:  D >= max_u (w_hi[u] - min_{v after u} r_lo[v]).  Running backward (last unit first), the
output may start ``E`` bytes after the input when E >= max_u (max_{v before u} r_hi[v] - w_lo[u]).
"After u" includes u itself unless the kernel copies the unit's input aside before writing it
(im2col into scratch, or elementwise read-then-write).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Overlap:
    """Minimum distances for one (input, output) pair; None: that direction is not possible."""

    forward: int | None      # off(input) - off(output) >= forward
    backward: int | None     # off(output) - off(input) >= backward


def distances(w_lo: np.ndarray, w_hi: np.ndarray, r_lo: np.ndarray, r_hi: np.ndarray, in_bytes: int,
              read_before_write: bool, reversible: bool) -> Overlap:
    """Exact minimum distances from per-unit ranges (units in forward order; an empty read
    range has r_lo = in_bytes, r_hi = 0)."""
    w_lo = np.asarray(w_lo, np.int64)
    w_hi = np.asarray(w_hi, np.int64)
    r_lo = np.asarray(r_lo, np.int64)
    r_hi = np.asarray(r_hi, np.int64)
    n = len(w_lo)
    # suffix minimum of r_lo: reads by units >= u; shifted by one when u's own input is aside
    suf = np.minimum.accumulate(r_lo[::-1])[::-1]
    later = np.append(suf[1:], in_bytes) if read_before_write else suf
    fwd = int(np.max(w_hi - later)) if n else 0
    bwd = None
    if reversible:
        pre = np.maximum.accumulate(r_hi)
        earlier = np.insert(pre[:-1], 0, 0) if read_before_write else pre
        bwd = int(np.max(earlier - w_lo)) if n else 0
    return Overlap(fwd, bwd)


def window_reads(out_h: int, out_w: int, in_h: int, in_w: int, channels: int, batches: int, kh: int, kw: int,
                 sh: int, sw: int, dh: int, dw: int, pad_top: int, pad_left: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte range [lo, hi) of the input a sliding-window op reads for each output pixel
    (bounding box of its in-bounds taps), pixels in NHWC order."""
    oy, ox = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    iy0 = oy * sh - pad_top
    ix0 = ox * sw - pad_left
    iy1 = iy0 + (kh - 1) * dh
    ix1 = ix0 + (kw - 1) * dw
    # first / last in-bounds tap along each axis (taps step by the dilation)
    ylo = np.where(iy0 < 0, iy0 + ((-iy0 + dh - 1) // dh) * dh, iy0)
    yhi = np.where(iy1 >= in_h, iy1 - ((iy1 - in_h + 1 + dh - 1) // dh) * dh, iy1)
    xlo = np.where(ix0 < 0, ix0 + ((-ix0 + dw - 1) // dw) * dw, ix0)
    xhi = np.where(ix1 >= in_w, ix1 - ((ix1 - in_w + 1 + dw - 1) // dw) * dw, ix1)
    empty = (ylo > yhi) | (xlo > xhi)
    lo = (ylo * in_w + xlo) * channels
    hi = (yhi * in_w + xhi + 1) * channels
    img = in_h * in_w * channels
    lo = np.concatenate([lo.reshape(-1) + b * img for b in range(batches)])
    hi = np.concatenate([hi.reshape(-1) + b * img for b in range(batches)])
    em = np.tile(empty.reshape(-1), batches)
    lo = np.where(em, batches * img, lo)
    hi = np.where(em, 0, hi)
    return lo, hi


def blocks(lo: np.ndarray, hi: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-row ranges into ranges per block of `size` rows (a kernel's MR)."""
    if size == 1:
        return lo, hi
    n = len(lo)
    pad = (-n) % size
    lo_p = np.concatenate([lo, np.full(pad, np.iinfo(np.int64).max)])
    hi_p = np.concatenate([hi, np.zeros(pad, np.int64)])
    return lo_p.reshape(-1, size).min(axis=1), hi_p.reshape(-1, size).max(axis=1)
