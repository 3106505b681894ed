"""The C kernels generated code calls: where their sources are, and the GEMM micro-kernel
variants with the weight layout each expects (packed here, ahead of time).

Kernel sources live in the repository's ``delegates/`` tree, shared with the native
delegates; the compiler copies the ones a model needs into its output folder, flattened,
so the output builds on its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EdgeqError

_HERE = Path(__file__).resolve().parent

#: folders searched, in order, for a kernel file named by its bare file name
_SEARCH = ("kernels/*", "cpu/gemm/src", "cpu/gemm", "cpu/ops", "cpu/elementwise")

#: source files of each kernel (bare names; their headers follow from #include lines)
SOURCES: dict[str, tuple[str, ...]] = {
    "conv2d": ("qs8_conv2d.c",),
    "dwconv2d": ("qs8_dwconv2d_scalar.c",),
    "dwconv2d-armsimd32": ("qs8_dwconv2d_armsimd32.c", "qs8_dwconv2d_scalar.c"),
    "dwconv2d-mve": ("qs8_dwconv2d_mve.c", "qs8_dwconv2d_scalar.c"),
    "vadd": ("qs8_vadd.c",),
    "vmul": ("qs8_vmul_scalar.c",),
    "vbinary-nd": ("qs8_vbinary_nd.c",),
    "avgpool": ("qs8_avgpool_scalar.c",),
    "maxpool": ("s8_maxpool_scalar.c",),
    "mean": ("qs8_mean_scalar.c",),
    "softmax": ("qs8_softmax_scalar.c",),
    "lut": ("x8_lut_scalar.c",),
    "vcvt": ("qs8_vcvt_scalar.c",),
    "f32-qs8-vcvt": ("f32_qs8_vcvt_scalar.c",),
    "qs8-f32-vcvt": ("qs8_f32_vcvt_scalar.c",),
    "pad": ("x8_pad_scalar.c",),
    "concat": ("x8_concat_scalar.c",),
}


def delegates_dir() -> Path:
    """The ``delegates/`` source tree: the checkout's, or the copy inside an installed wheel."""
    for cand in (_HERE.parent.parent / "delegates", _HERE.parent / "delegates"):
        if (cand / "kernels").is_dir():
            return cand
    raise EdgeqError("edgeq's kernel sources (delegates/) are missing: reinstall edgeq with 'pip install .'")


def find_source(name: str) -> Path:
    root = delegates_dir()
    for pattern in _SEARCH:
        for folder in sorted(root.glob(pattern)):
            if (folder / name).is_file():
                return folder / name
    raise EdgeqError(f"kernel source '{name}' is missing from {root}: reinstall edgeq")


_INCLUDE = re.compile(r'^(\s*#\s*include\s+)"([^"]+)"', re.M)


def bundle(names: list[str]) -> dict[str, str]:
    """The given source files and every header they include (transitively), as
    {bare file name: text}, with quoted includes rewritten to bare names (one flat folder)."""
    out: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        path = find_source(name)
        text = path.read_text()
        for inc in _INCLUDE.findall(text):
            todo.append(Path(inc[1]).name)
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
    "scalar": GemmVariant("qs8-gemm-1x4-scalar", 1, 4, 1, 2, 8, "qs8_gemm_1x4_scalar", "qs4w_gemm_1x4_scalar",
                          ("qs8_gemm_1x4_scalar.c",), ("qs4w_gemm_1x4_scalar.c",),
                          functions=("qs8_gemm_1x4__scalar",), int4_functions=("qs4w_gemm_1x4__scalar",)),
    "armsimd32": GemmVariant("qs8-gemm-2x2c4-armsimd32", 2, 2, 4, 4, 8, "qs8_gemm_2x2c4_armsimd32", None,
                             ("qs8_gemm_2x2c4_armsimd32.c",),
                             functions=("qs8_gemm_1x2c4__armsimd32", "qs8_gemm_2x2c4__armsimd32")),
    "mve": GemmVariant("qs8-gemm-2x4c16-mve", 2, 4, 16, 16, 8, "qs8_gemm_2x4c16_mve", None,
                       ("qs8_gemm_2x4c16_mve.c",), functions=("qs8_gemm_1x4c16__mve", "qs8_gemm_2x4c16__mve")),
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
