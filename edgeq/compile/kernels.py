"""The C kernels generated code calls: where their sources are, and the GEMM micro-kernel
variants with the weight layout each expects (packed here, ahead of time).

Kernel sources are ``delegates/kernels/``, the leaf library the native delegates link too; the
compiler copies the ones a model needs into its output folder, flattened (includes rewritten to
bare names), so the output builds on its own with no include path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EdgeqError
from ..resources import delegates_dir


#: source files of each kernel, relative to delegates/kernels (their headers follow from #include lines)
SOURCES: dict[str, tuple[str, ...]] = {
    "conv2d": ("qs8-conv2d/qs8-conv2d.c",),
    "dwconv2d": ("qs8-dwconv2d/qs8-dwconv2d-scalar.c",),
    "dwconv2d-armsimd32": ("qs8-dwconv2d/qs8-dwconv2d-armsimd32.c", "qs8-dwconv2d/qs8-dwconv2d-scalar.c"),
    "dwconv2d-mve": ("qs8-dwconv2d/qs8-dwconv2d-mve.c", "qs8-dwconv2d/qs8-dwconv2d-scalar.c"),
    "vadd": ("qs8-vadd/qs8-vadd-u1-scalar.c",),
    "vmul": ("qs8-vmul/qs8-vmul-scalar.c",),
    "vbinary-nd": ("qs8-vbinary-nd/qs8-vbinary-nd.c",),
    "avgpool": ("qs8-avgpool/qs8-avgpool-scalar.c",),
    "maxpool": ("s8-maxpool/s8-maxpool-scalar.c",),
    "mean": ("qs8-mean/qs8-mean-scalar.c",),
    "softmax": ("qs8-softmax/qs8-softmax-scalar.c",),
    "lut": ("x8-lut/x8-lut-scalar.c",),
    "vcvt": ("qs8-vcvt/qs8-vcvt-scalar.c",),
    "f32-qs8-vcvt": ("f32-qs8-vcvt/f32-qs8-vcvt-scalar.c",),
    "qs8-f32-vcvt": ("qs8-f32-vcvt/qs8-f32-vcvt-scalar.c",),
    "pad": ("x8-pad/x8-pad-scalar.c",),
    "concat": ("x8-concat/x8-concat-scalar.c",),
}


def kernels_dir() -> Path:
    """``delegates/kernels``: the checkout's, or the copy inside an installed wheel."""
    return delegates_dir() / "kernels"


_INCLUDE = re.compile(r'^(\s*#\s*include\s+)"([^"]+)"', re.M)


def bundle(paths: list[str]) -> dict[str, str]:
    """The given sources (relative to delegates/kernels) and every header they include, transitively,
    as {bare file name: text} with quoted includes rewritten to bare names: one flat folder."""
    root = kernels_dir()
    out: dict[str, str] = {}
    todo = list(paths)
    while todo:
        rel = todo.pop()
        name = Path(rel).name
        if name in out:
            continue
        path = root / rel
        if not path.is_file():
            raise EdgeqError(f"kernel source '{rel}' is missing from {root}: reinstall edgeq")
        text = path.read_text()
        todo += [inc for _, inc in _INCLUDE.findall(text)]  # kernels include by path from delegates/kernels
        out[name] = _INCLUDE.sub(lambda m: f'{m.group(1)}"{Path(m.group(2)).name}"', text)
    return out


@dataclass(frozen=True)
class GemmVariant:
    """One qs8 GEMM micro-kernel family member and its packed weight layout (qs8_ukernel.h)."""

    name: str
    mr: int
    nr: int
    kr: int
    kpad: int
    int4_group: int
    int8_table: str
    int4_table: str | None
    sources: tuple[str, ...]
    int4_sources: tuple[str, ...] = ()
    a_offset: int = 0
    functions: tuple[str, ...] = ()        # the micro-kernel functions behind the table (code size, stack)
    int4_functions: tuple[str, ...] = ()


GEMM_VARIANTS = {
    "scalar": GemmVariant("qs8-gemm-1x4-scalar", 1, 4, 1, 2, 8, "qs8_gemm_1x4_scalar", "qs8_qc4w_gemm_1x4_scalar",
                          ("qs8-gemm/qs8-gemm-1x4-scalar.c",), ("qs8-qc4w-gemm/qs8-qc4w-gemm-1x4-scalar.c",),
                          functions=("qs8_gemm_1x4__scalar",), int4_functions=("qs8_qc4w_gemm_1x4__scalar",)),
    "armsimd32": GemmVariant("qs8-gemm-2x2c4-armsimd32", 2, 2, 4, 4, 8, "qs8_gemm_2x2c4_armsimd32", None,
                             ("qs8-gemm/qs8-gemm-2x2c4-armsimd32.c",),
                             functions=("qs8_gemm_1x2c4__armsimd32", "qs8_gemm_2x2c4__armsimd32")),
    "mve": GemmVariant("qs8-gemm-2x4c16-mve", 2, 4, 16, 16, 8, "qs8_gemm_2x4c16_mve", None,
                       ("qs8-gemm/qs8-gemm-2x4c16-mve.c",), functions=("qs8_gemm_1x4c16__mve", "qs8_gemm_2x4c16__mve")),
}


def round_up(x: int, q: int) -> int:
    return (x + q - 1) // q * q


@dataclass
class PackedGemm:
    weights: np.ndarray   # uint8 bytes, n_tiles * tile_bytes
    bias: np.ndarray      # int32, padded to n_tiles * nr
    mult: np.ndarray
    shift: np.ndarray
    kc: int
    tile_bytes: int
    table: str
    sources: tuple[str, ...]
    functions: tuple[str, ...]


def pack_gemm(v: GemmVariant, w: np.ndarray, bias: np.ndarray | None, a_zero_point: int, mult: np.ndarray,
              shift: np.ndarray, bits: int) -> PackedGemm:
    """Weights [n][k] (int8 values, int4 when bits == 4) in the variant's tile layout, with
    bias - (a_zp + a_offset) * sum_k W folded in (wrapping int32, as the delegate packs it)."""
    n, k = w.shape
    kc = round_up(k, v.kpad)
    tiles = (n + v.nr - 1) // v.nr
    npad = tiles * v.nr
    wp = np.zeros((npad, kc), np.int8)
    wp[:n, :k] = w
    # stream[(kk / kr) * nr * kr + j * kr + kk % kr] = W[n0 + j][kk]
    stream = wp.reshape(tiles, v.nr, kc // v.kr, v.kr).transpose(0, 2, 1, 3).reshape(tiles, -1)
    if bits == 4:
        g = v.int4_group
        if (v.nr * kc) % g:
            raise EdgeqError(f"internal: {v.name} int4 group {g} does not divide a tile")
        s = stream.reshape(tiles, -1, g).astype(np.uint8)
        packed = (s[:, :, : g // 2] & 0x0F) | ((s[:, :, g // 2:] & 0x0F) << 4)
        data = packed.reshape(-1).astype(np.uint8)
        tile_bytes = v.nr * kc // 2
    else:
        data = stream.reshape(-1).view(np.uint8)
        tile_bytes = v.nr * kc
    wsum = w.astype(np.int64).sum(axis=1)
    b = np.zeros(npad, np.int64)
    b[:n] = (bias.astype(np.int64) if bias is not None else 0) - (a_zero_point + v.a_offset) * wsum
    b = ((b + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)
    m = np.zeros(npad, np.int32)
    s = np.zeros(npad, np.int32)
    m[:n], s[:n] = mult, shift
    table = v.int4_table if bits == 4 else v.int8_table
    if table is None:
        raise EdgeqError(f"internal: {v.name} has no int4 kernel")
    srcs = v.int4_sources if bits == 4 else v.sources
    return PackedGemm(data, b, m, s, kc, tile_bytes, table, srcs, v.int4_functions if bits == 4 else v.functions)
