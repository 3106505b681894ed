"""Each TFLite op becomes one C kernel call: its parameters computed here (as TFLite's Prepare
would), its constant data laid out for the kernel, and how its output may overlap its inputs.

Adding an op: write a ``_lower_<op>`` function below, register it in ``LOWERINGS``, and name its
kernel sources in ``kernels.SOURCES``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ModelError
from . import quant
from .graph import Graph, Op, Tensor
from .kernels import GEMM_VARIANTS, SOURCES, GemmVariant, pack_gemm
from .overlap import Overlap, blocks, distances, window_reads


@dataclass
class Const:
    name: str
    ctype: str
    values: np.ndarray


@dataclass
class Lowered:
    op: Op
    call: str                              # C statement; {P} params, {in0}.., {out0}.., {scratch}
    struct: str | None = None              # params struct type
    fields: dict = field(default_factory=dict)
    consts: list[Const] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    scratch: int = 0
    overlap: dict[int, Overlap] = field(default_factory=dict)   # input position -> distances
    macs: int = 0
    alias: bool = False                    # output 0 is input 0's buffer (a reshape)
    helpers: list[str] = field(default_factory=list)
    kernel: str = ""                       # the kernel (variant) name, for the report
    structs: list[tuple[str, str, dict]] = field(default_factory=list)  # more const structs: name, type, fields
    rows_per_call: int = 0                 # GEMM ops: output pixels per micro-kernel call (0: not a GEMM)
    callees: tuple[str, ...] = ()          # functions the kernel calls through pointers (micro-kernels)

    @property
    def functions(self) -> list[str]:
        """The C functions this op runs: its kernel, then what that calls through pointers."""
        entry = self.call.split("(", 1)[0].strip()
        return ([entry] if entry else []) + list(self.callees)

    @property
    def const_bytes(self) -> int:
        return int(sum(c.values.nbytes for c in self.consts))


@dataclass(frozen=True)
class Target:
    name: str
    gemm: str            # GEMM_VARIANTS key
    dwconv: str          # "scalar", "armsimd32" or "mve"
    cpu: str | None      # -mcpu for arm-none-eabi-gcc, None for the host compiler


TARGETS = {
    "generic-c": Target("generic-c", "scalar", "scalar", None),
    "cortex-m4": Target("cortex-m4", "armsimd32", "armsimd32", "cortex-m4"),
    "cortex-m7": Target("cortex-m7", "armsimd32", "armsimd32", "cortex-m7"),
    "cortex-m55": Target("cortex-m55", "mve", "mve", "cortex-m55"),
}


class Unsupported(ModelError):
    pass


def _fail(op: Op, why: str, fix: str = "") -> Unsupported:
    return Unsupported(f"op {op.kind} at layer '{op.layer}' (op #{op.index}) is not supported by edgeq compile: "
                       f"{why}" + (f"; {fix}" if fix else ""))


def _act(op: Op) -> int:
    act = int(getattr(op.options, "fusedActivationFunction", 0) or 0)
    if act not in quant.SUPPORTED_ACTIVATIONS:
        raise _fail(op, f"fused activation {act}", "use RELU, RELU6 or none")
    return act


def _qs8(op: Op, *ts: Tensor) -> None:
    for t in ts:
        if t.dtype != "int8" or t.scale is None or t.scale.size != 1:
            raise _fail(op, f"tensor '{t.name}' is {t.dtype}{'' if t.scale is None else ''}, not per-tensor int8",
                        "convert with int8 activations (edgeq convert --activations int8)")


def _weights(op: Op, w: Tensor, qdim: int, channels: int) -> int:
    """Checks a constant symmetric int8/int4 weight tensor; returns its bit width."""
    if not w.is_const:
        raise _fail(op, "weights are computed at run time", "only constant weights are compiled in")
    if w.dtype not in ("int8", "int4"):
        raise _fail(op, f"weights are {w.dtype}", "quantize weights to int8 or int4")
    if w.scale is None or w.scale.size not in (1, channels):
        raise _fail(op, "weights lack per-tensor or per-channel scales")
    if w.scale.size > 1 and w.quantized_dim != qdim:
        raise _fail(op, f"weights quantized along axis {w.quantized_dim}, expected {qdim}")
    if w.zero_point is not None and np.any(w.zero_point != 0):
        raise _fail(op, "weight zero point is not 0", "use symmetric weight quantization")
    if not np.all(w.scale > 0):
        raise _fail(op, "a weight scale is not positive")
    return 4 if w.dtype == "int4" else 8


def _bias(op: Op, b: Tensor | None, n: int) -> np.ndarray:
    if b is None:
        return np.zeros(n, np.int32)
    if b.dtype != "int32" or not b.is_const or b.size != n:
        raise _fail(op, f"bias '{b.name}' is not a constant int32 vector of {n}")
    return b.data.reshape(-1).astype(np.int32)


def _pad_before(stride: int, dilation: int, size: int, filt: int, out: int) -> int:
    eff = (filt - 1) * dilation + 1
    total = (out - 1) * stride + eff - size
    return total // 2 if total > 0 else 0


def _elementwise(n: int, in_width: int, out_width: int) -> Overlap:
    i = np.arange(n, dtype=np.int64)
    return distances(i * out_width, (i + 1) * out_width, i * in_width, (i + 1) * in_width, n * in_width,
                     read_before_write=True, reversible=False)


def _pack_int4(values: np.ndarray) -> np.ndarray:
    v = values.reshape(-1).astype(np.int8)
    if v.size % 2:
        v = np.append(v, np.int8(0))
    lo = v[0::2].astype(np.uint8) & 0x0F
    hi = (v[1::2].astype(np.uint8) & 0x0F) << 4
    return (lo | hi).astype(np.uint8)


def _in(g: Graph, op: Op, i: int) -> Tensor | None:
    return g.t(op.inputs[i]) if i < len(op.inputs) and op.inputs[i] >= 0 else None


# ---------------------------------------------------------------------------------------------
# convolutions


def _gemm_call(g: Graph, op: Op, target: Target, x: Tensor, w2d: np.ndarray, bits: int, mult, shift,
               bias: np.ndarray, y: Tensor, act_range, rounding: int, geom: dict, reads, tag: str,
               one_row: bool) -> Lowered:
    v: GemmVariant = GEMM_VARIANTS[target.gemm]
    if bits == 4 and v.int4_table is None:
        v = GEMM_VARIANTS["scalar"]  # int4 weights keep their packed flash size through the scalar kernel
    mr = 1 if one_row else v.mr  # entry 0 of every kernel table computes one row
    x_scale, x_zp = x.qparams()
    y_scale, y_zp = y.qparams()
    pk = pack_gemm(v, w2d, bias, x_zp, mult, shift, bits)
    n, k = w2d.shape
    p = f"op{op.index}"
    consts = [Const(f"{p}_w", "uint8_t", pk.weights), Const(f"{p}_bias", "int32_t", pk.bias),
              Const(f"{p}_mult", "int32_t", pk.mult), Const(f"{p}_shift", "int32_t", pk.shift)]
    fields = dict(geom)
    fields.update(in_zp=x_zp, k=k, kc=pk.kc, tile_bytes=pk.tile_bytes, mr=mr, nr=v.nr, reverse=0,
                  ukernel=pk.table, weights=f"{p}_w", bias=f"{p}_bias", mult=f"{p}_mult", shift=f"{p}_shift",
                  rounding=rounding, out_zp=y_zp, out_min=act_range[0], out_max=act_range[1])
    rows = geom["batches"] * geom["out_h"] * geom["out_w"]
    r_lo, r_hi = blocks(*reads, mr)
    u = np.arange(len(r_lo), dtype=np.int64)
    w_lo = u * mr * n
    w_hi = np.minimum((u + 1) * mr, rows) * n
    ov = distances(w_lo, w_hi, r_lo, r_hi, x.nbytes, read_before_write=True, reversible=True)
    return Lowered(op, "qs8_conv2d(&{P}, {in0}, {out0}, {scratch});", "qs8_conv2d_params", fields, consts,
                   list(SOURCES["conv2d"]) + list(pk.sources), mr * pk.kc + mr * v.nr, {0: ov},
                   macs=rows * n * k, kernel=f"{tag} via {v.name}" + (" (int4)" if bits == 4 else "") +
                   (", 1 row at a time" if one_row and v.mr > 1 else ""), rows_per_call=mr, callees=pk.functions)


def _lower_conv2d(g: Graph, op: Op, target: Target, one_row: bool = False) -> Lowered:
    x, w, b, y = _in(g, op, 0), _in(g, op, 1), _in(g, op, 2), g.t(op.outputs[0])
    _qs8(op, x, y)
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise _fail(op, "tensors are not 4-D NHWC")
    o, kh, kw, ci = w.shape
    if ci != x.shape[3]:
        raise _fail(op, "grouped convolution", "use DEPTHWISE_CONV_2D or split the groups")
    if o != y.shape[3]:
        raise _fail(op, "filter and output channels differ")
    bits = _weights(op, w, 0, o)
    o_ = op.options
    sh, sw = int(o_.strideH), int(o_.strideW)
    dh, dw = int(o_.dilationHFactor or 1), int(o_.dilationWFactor or 1)
    if min(sh, sw, dh, dw) < 1:
        raise _fail(op, "stride or dilation below 1")
    act = _act(op)
    xs, _ = x.qparams()
    ys, yzp = y.qparams()
    mult, shift = quant.channel_multipliers(xs, w.scale, ys, o)
    n_, h, wd, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    geom = dict(batches=n_, in_h=h, in_w=wd, in_c=c, out_h=oh, out_w=ow, out_c=o, kh=kh, kw=kw, sh=sh, sw=sw,
                dh=dh, dw=dw, pad_top=_pad_before(sh, dh, h, kh, oh), pad_left=_pad_before(sw, dw, wd, kw, ow))
    reads = window_reads(oh, ow, h, wd, c, n_, kh, kw, sh, sw, dh, dw, geom["pad_top"], geom["pad_left"])
    return _gemm_call(g, op, target, x, w.data.reshape(o, -1), bits, mult, shift, _bias(op, b, o), y,
                      quant.activation_range(act, ys, yzp), 0, geom, reads, "conv2d", one_row)


def _lower_fully_connected(g: Graph, op: Op, target: Target, one_row: bool = False) -> Lowered:
    x, w, b, y = _in(g, op, 0), _in(g, op, 1), _in(g, op, 2), g.t(op.outputs[0])
    _qs8(op, x, y)
    if int(getattr(op.options, "weightsFormat", 0) or 0) != 0:
        raise _fail(op, "shuffled weights format")
    if len(w.shape) != 2:
        raise _fail(op, "weights are not 2-D")
    n, k = w.shape
    if k == 0 or x.size % k:
        raise _fail(op, "input size is not a multiple of the weight depth")
    rows = x.size // k
    if y.size != rows * n:
        raise _fail(op, "output size mismatch")
    bits = _weights(op, w, 0, n)
    act = _act(op)
    xs, _ = x.qparams()
    ys, yzp = y.qparams()
    mult, shift = quant.channel_multipliers(xs, w.scale, ys, n)
    geom = dict(batches=rows, in_h=1, in_w=1, in_c=k, out_h=1, out_w=1, out_c=n, kh=1, kw=1, sh=1, sw=1,
                dh=1, dw=1, pad_top=0, pad_left=0)
    r = np.arange(rows, dtype=np.int64)
    # FULLY_CONNECTED's reference rounds once (TFLITE_SINGLE_ROUNDING-style), unlike CONV_2D
    return _gemm_call(g, op, target, x, w.data.reshape(n, k), bits, mult, shift, _bias(op, b, n), y,
                      quant.activation_range(act, ys, yzp), 1, geom, (r * k, (r + 1) * k), "fully_connected",
                      one_row)


def _lower_depthwise(g: Graph, op: Op, target: Target) -> Lowered:
    x, w, b, y = _in(g, op, 0), _in(g, op, 1), _in(g, op, 2), g.t(op.outputs[0])
    _qs8(op, x, y)
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4 or w.shape[0] != 1:
        raise _fail(op, "tensors are not 4-D NHWC")
    _, kh, kw, oc = w.shape
    n_, h, wd, ic = x.shape
    if y.shape[3] != oc or ic == 0 or oc % ic:
        raise _fail(op, "channel counts do not match")
    bits = _weights(op, w, 3, oc)
    o_ = op.options
    sh, sw = int(o_.strideH), int(o_.strideW)
    dh, dw = int(o_.dilationHFactor or 1), int(o_.dilationWFactor or 1)
    act = _act(op)
    xs, xzp = x.qparams()
    ys, yzp = y.qparams()
    mult, shift = quant.channel_multipliers(xs, w.scale, ys, oc)
    oh, ow = y.shape[1], y.shape[2]
    pt, pl = _pad_before(sh, dh, h, kh, oh), _pad_before(sw, dw, wd, kw, ow)
    lo, hi = quant.activation_range(act, ys, yzp)
    p = f"op{op.index}"
    values = w.data.reshape(-1)
    wdata = _pack_int4(values) if bits == 4 else values.astype(np.int8)
    variant = target.dwconv if (bits == 8 and oc == ic) else "scalar"
    bias = _bias(op, b, oc)
    fields = dict(batches=n_, in_h=h, in_w=wd, in_c=ic, out_h=oh, out_w=ow, out_c=oc, depth_mult=oc // ic,
                  kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw, pad_top=pt, pad_left=pl, in_zp=xzp, out_zp=yzp,
                  out_min=lo, out_max=hi, weight_bits=bits, reverse=0, weights=f"{p}_w", bias=f"{p}_bias",
                  mult=f"{p}_mult", shift=f"{p}_shift", bias_folded="NULL")
    consts = [Const(f"{p}_w", "uint8_t" if bits == 4 else "int8_t", wdata),
              Const(f"{p}_bias", "int32_t", bias), Const(f"{p}_mult", "int32_t", mult),
              Const(f"{p}_shift", "int32_t", shift)]
    if variant != "scalar":
        wsum = w.data.reshape(kh * kw, oc).astype(np.int64).sum(axis=0)
        folded = bias.astype(np.int64) - xzp * wsum
        folded = ((folded + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)
        consts.append(Const(f"{p}_bias_folded", "int32_t", folded))
        fields["bias_folded"] = f"{p}_bias_folded"
    r_lo, r_hi = window_reads(oh, ow, h, wd, ic, n_, kh, kw, sh, sw, dh, dw, pt, pl)
    u = np.arange(len(r_lo), dtype=np.int64)
    ov = distances(u * oc, (u + 1) * oc, r_lo, r_hi, x.nbytes, read_before_write=False, reversible=True)
    fn = "qs8_dwconv2d" if variant == "scalar" else f"qs8_dwconv2d_{variant}"
    key = "dwconv2d" if variant == "scalar" else f"dwconv2d-{variant}"
    return Lowered(op, fn + "(&{P}, {in0}, {out0});", "qs8_dwconv2d_params", fields, consts, list(SOURCES[key]),
                   0, {0: ov}, macs=n_ * oh * ow * oc * kh * kw,
                   kernel=f"qs8-dwconv2d-{variant}" + (" (int4)" if bits == 4 else ""))


# ---------------------------------------------------------------------------------------------
# elementwise


def _broadcast(a: Tensor, b: Tensor, y: Tensor) -> tuple[list[int], list[int], list[int]] | None:
    """Rank-5 dims and element strides (0 where broadcast), or None when shapes do not broadcast."""
    R = 5
    ro, ra, rb = len(y.shape), len(a.shape), len(b.shape)
    if ro > R or ra > ro or rb > ro:
        return None
    dims, sa, sb = [1] * R, [0] * R, [0] * R
    ka = kb = 1
    for i in range(R - 1, -1, -1):
        od = y.shape[i - (R - ro)] if i - (R - ro) >= 0 else 1
        ad = a.shape[i - (R - ra)] if i - (R - ra) >= 0 else 1
        bd = b.shape[i - (R - rb)] if i - (R - rb) >= 0 else 1
        if (ad not in (od, 1)) or (bd not in (od, 1)) or od != max(ad, bd):
            return None
        dims[i] = od
        sa[i] = 0 if ad == 1 else ka
        sb[i] = 0 if bd == 1 else kb
        ka *= ad
        kb *= bd
    return dims, sa, sb


_ADAPTER = """static void {name}(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* p) {{
  {fn}(n, a, b, out, (const {ptype}*)p);
}}"""


def _binary(g: Graph, op: Op, fn: str, ptype: str, fields: dict, source: str) -> Lowered:
    a, b, y = _in(g, op, 0), _in(g, op, 1), g.t(op.outputs[0])
    p = f"op{op.index}"
    if a.shape == b.shape == y.shape or (a.size == b.size == y.size):
        ov = _elementwise(y.size, 1, 1)
        return Lowered(op, fn + "({n}, {in0}, {in1}, {out0}, &{P});".replace("{n}", str(y.size)), ptype, fields,
                       [], [source], 0, {0: ov, 1: ov}, macs=y.size, kernel=fn)
    bc = _broadcast(a, b, y)
    if bc is None:
        raise _fail(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to {list(y.shape)} (or rank > 5)")
    dims, sa, sb = bc
    adapter = f"eq_{fn}_any"
    nd = dict(dims=dims, a_stride=sa, b_stride=sb, fn=adapter, params=f"&{p}_elem")
    return Lowered(op, "qs8_vbinary_nd(&{P}, {in0}, {in1}, {out0});", "qs8_vbinary_nd_params", nd, [],
                   [source, *SOURCES["vbinary-nd"]], 0, {}, macs=y.size,
                   helpers=[_ADAPTER.format(name=adapter, fn=fn, ptype=ptype)], kernel=f"{fn} (broadcast)",
                   structs=[(f"{p}_elem", ptype, fields)])


def _lower_add(g: Graph, op: Op, target: Target) -> Lowered:
    a, b, y = _in(g, op, 0), _in(g, op, 1), g.t(op.outputs[0])
    _qs8(op, a, b, y)
    act = _act(op)
    (sa, za), (sb, zb), (sy, zy) = a.qparams(), b.qparams(), y.qparams()
    prm = quant.add_params(sa, sb, sy)
    if max(prm["a_shift"], prm["b_shift"], prm["out_shift"]) > 0:
        raise _fail(op, "the output scale is too small for TFLite's int8 ADD (a multiplier above 1)")
    lo, hi = quant.activation_range(act, sy, zy)
    fields = dict(a_offset=-za, b_offset=-zb, a_mult=prm["a_mult"], a_shift=prm["a_shift"], b_mult=prm["b_mult"],
                  b_shift=prm["b_shift"], out_mult=prm["out_mult"], out_shift=prm["out_shift"],
                  left_shift=prm["left_shift"], out_zp=zy, out_min=lo, out_max=hi)
    return _binary(g, op, "qs8_vadd_u1_scalar", "qs8_add_params", fields, SOURCES["vadd"][0])


def _lower_mul(g: Graph, op: Op, target: Target) -> Lowered:
    a, b, y = _in(g, op, 0), _in(g, op, 1), g.t(op.outputs[0])
    _qs8(op, a, b, y)
    act = _act(op)
    (sa, za), (sb, zb), (sy, zy) = a.qparams(), b.qparams(), y.qparams()
    m, s = quant.mul_multiplier(sa, sb, sy)
    lo, hi = quant.activation_range(act, sy, zy)
    fields = dict(a_offset=-za, b_offset=-zb, mult=m, shift=s, out_zp=zy, out_min=lo, out_max=hi)
    return _binary(g, op, "qs8_vmul_scalar", "qs8_mul_params", fields, SOURCES["vmul"][0])


def _lut(g: Graph, op: Op, table: np.ndarray) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    p = f"op{op.index}"
    return Lowered(op, f"x8_lut_scalar({y.size}, {{in0}}, {{out0}}, {p}_lut);", None, {},
                   [Const(f"{p}_lut", "int8_t", table)], list(SOURCES["lut"]), 0, {0: _elementwise(y.size, 1, 1)},
                   macs=0, kernel="x8-lut")


def _lower_logistic(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, x, y)
    (sx, zx), (sy, zy) = x.qparams(), y.qparams()
    if sy != 1.0 / 256 or zy != -128:
        raise _fail(op, "output quantization is not scale 1/256, zero point -128")
    return _lut(g, op, quant.logistic_table(sx, zx, sy, zy))


def _lower_hard_swish(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, x, y)
    (sx, zx), (sy, zy) = x.qparams(), y.qparams()
    table = quant.hard_swish_table(sx, zx, sy, zy)
    if table is None:
        raise _fail(op, "the output scale is too small for TFLite's int16 hard-swish path")
    return _lut(g, op, table)


def _lower_quantize(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, y)
    sy, zy = y.qparams()
    if x.dtype == "float32":
        return Lowered(op, f"f32_qs8_vcvt_scalar({y.size}, (const float*){{in0}}, {{out0}}, {float(sy)!r}f, {zy});",
                       None, {}, [], list(SOURCES["f32-qs8-vcvt"]), 0, {0: _elementwise(y.size, 4, 1)},
                       kernel="f32-qs8-vcvt")
    _qs8(op, x)
    sx, zx = x.qparams()
    m, s = quant.quantize_multiplier(float(np.float32(sx)) / float(np.float32(sy)))
    return Lowered(op, f"qs8_vcvt_scalar({y.size}, {{in0}}, {{out0}}, &{{P}});", "qs8_cvt_params",
                   dict(in_zp=zx, out_zp=zy, mult=m, shift=s), [], list(SOURCES["vcvt"]), 0,
                   {0: _elementwise(y.size, 1, 1)}, kernel="qs8-vcvt")


def _lower_dequantize(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, x)
    if y.dtype != "float32":
        raise _fail(op, f"output is {y.dtype}, not float32")
    sx, zx = x.qparams()
    return Lowered(op, f"qs8_f32_vcvt_scalar({y.size}, {{in0}}, (float*){{out0}}, {float(sx)!r}, {zx});", None, {},
                   [], list(SOURCES["qs8-f32-vcvt"]), 0, {0: _elementwise(y.size, 1, 4)}, kernel="qs8-f32-vcvt")


# ---------------------------------------------------------------------------------------------
# pooling, reductions, softmax


def _lower_pool(g: Graph, op: Op, target: Target, is_max: bool) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, x, y)
    if x.qparams() != y.qparams():
        raise _fail(op, "input and output quantization differ")
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[3] != y.shape[3] or x.shape[0] != y.shape[0]:
        raise _fail(op, "tensors are not 4-D NHWC")
    o_ = op.options
    fh, fw, sh, sw = int(o_.filterHeight), int(o_.filterWidth), int(o_.strideH), int(o_.strideW)
    if min(fh, fw, sh, sw) < 1:
        raise _fail(op, "filter or stride below 1")
    act = _act(op)
    ys, yzp = y.qparams()
    lo, hi = quant.activation_range(act, ys, yzp)
    n_, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    pt, pl = _pad_before(sh, 1, h, fh, oh), _pad_before(sw, 1, w, fw, ow)
    fields = dict(batches=n_, in_h=h, in_w=w, channels=c, out_h=oh, out_w=ow, fh=fh, fw=fw, sh=sh, sw=sw,
                  pad_top=pt, pad_left=pl, out_min=lo, out_max=hi, reverse=0)
    r_lo, r_hi = window_reads(oh, ow, h, w, c, n_, fh, fw, sh, sw, 1, 1, pt, pl)
    u = np.arange(len(r_lo), dtype=np.int64)
    ov = distances(u * c, (u + 1) * c, r_lo, r_hi, x.nbytes, read_before_write=False, reversible=True)
    fn, key = ("s8_maxpool", "maxpool") if is_max else ("qs8_avgpool", "avgpool")
    return Lowered(op, fn + "(&{P}, {in0}, {out0});", "qs8_pool_params", fields, [], list(SOURCES[key]), 0,
                   {0: ov}, macs=0, kernel=fn)


def _lower_mean(g: Graph, op: Op, target: Target) -> Lowered:
    x, axis, y = _in(g, op, 0), _in(g, op, 1), g.t(op.outputs[0])
    _qs8(op, x, y)
    if axis is None or not axis.is_const or axis.dtype != "int32":
        raise _fail(op, "axis is not a constant int32 tensor")
    rank = len(x.shape)
    if not 1 <= rank <= 6:
        raise _fail(op, f"rank {rank}")
    reduced = [False] * rank
    for a in axis.data.reshape(-1):
        a = int(a) + rank if int(a) < 0 else int(a)
        if not 0 <= a < rank:
            raise _fail(op, "axis out of range")
        reduced[a] = True
    dims = list(x.shape)
    strides = [0] * rank
    stride, count = 1, 1
    for i in range(rank - 1, -1, -1):
        if reduced[i]:
            count *= dims[i]
        else:
            strides[i] = stride
            stride *= dims[i]
    if stride != y.size or x.size == 0:
        raise _fail(op, "output size mismatch")
    (sx, zx), (sy, zy) = x.qparams(), y.qparams()
    m, s = quant.mean_multiplier(sx, sy, count)
    fields = dict(rank=rank, dims=dims + [1] * (6 - rank), out_stride=strides + [0] * (6 - rank), in_count=x.size,
                  out_count=y.size, count=count, in_zp=zx, out_zp=zy, mult=m, shift=s)
    ov = distances([0], [y.nbytes], [0], [x.nbytes], x.nbytes, read_before_write=True, reversible=False)
    return Lowered(op, "qs8_mean(&{P}, {in0}, {out0}, (int32_t*){scratch});", "qs8_mean_params", fields, [],
                   list(SOURCES["mean"]), 4 * y.size, {0: ov}, macs=x.size, kernel="qs8-mean")


def _lower_softmax(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    _qs8(op, x, y)
    sy, zy = y.qparams()
    if zy != -128 or abs(sy - 1.0 / 256) > 0.001 / 256:
        raise _fail(op, "output quantization is not scale 1/256, zero point -128")
    if not x.shape or x.size != y.size:
        raise _fail(op, "shape mismatch")
    sx, _ = x.qparams()
    m, s, diff_min = quant.softmax_params(float(op.options.beta), sx)
    depth = x.shape[-1]
    outer = x.size // depth
    r = np.arange(outer, dtype=np.int64)
    ov = distances(r * depth, (r + 1) * depth, r * depth, (r + 1) * depth, x.nbytes, read_before_write=True,
                   reversible=False)
    return Lowered(op, "qs8_softmax(&{P}, {in0}, {out0});", "qs8_softmax_params",
                   dict(outer=outer, depth=depth, input_multiplier=m, input_left_shift=s, diff_min=diff_min), [],
                   list(SOURCES["softmax"]), 0, {0: ov}, macs=0, kernel="qs8-softmax")


# ---------------------------------------------------------------------------------------------
# data movement


def _lower_reshape(g: Graph, op: Op, target: Target) -> Lowered:
    x, y = _in(g, op, 0), g.t(op.outputs[0])
    if x.nbytes != y.nbytes or x.dtype != y.dtype:
        raise _fail(op, "input and output differ in size or type")
    if x.dtype == "int8" and y.scale is not None and x.scale is not None and x.qparams() != y.qparams():
        raise _fail(op, "input and output quantization differ")
    return Lowered(op, "", alias=True, kernel="alias")


def _lower_concat(g: Graph, op: Op, target: Target) -> Lowered:
    y = g.t(op.outputs[0])
    _qs8(op, y)
    if int(getattr(op.options, "fusedActivationFunction", 0) or 0):
        raise _fail(op, "fused activation")
    rank = len(y.shape)
    axis = int(op.options.axis)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise _fail(op, "axis out of range")
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64))
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    chunks = []
    for i in range(len(op.inputs)):
        t = _in(g, op, i)
        _qs8(op, t)
        if t.qparams() != y.qparams():
            raise _fail(op, "inputs do not share the output's quantization")
        if len(t.shape) != rank or any(t.shape[d] != y.shape[d] for d in range(rank) if d != axis):
            raise _fail(op, "shape mismatch")
        chunks.append(t.shape[axis] * inner)
    if sum(chunks) != y.shape[axis] * inner:
        raise _fail(op, "shape mismatch")
    p = f"op{op.index}"
    ins = ", ".join(f"{{in{i}}}" for i in range(len(op.inputs)))
    return Lowered(op, "x8_concat(&{P}, (const int8_t* const[]){" + ins + "}, {out0});", "x8_concat_params",
                   dict(n_inputs=len(chunks), outer=outer, out_chunk=y.shape[axis] * inner, chunk=f"{p}_chunk"),
                   [Const(f"{p}_chunk", "int32_t", np.asarray(chunks, np.int32))], list(SOURCES["concat"]),
                   kernel="x8-concat")


def _lower_pad(g: Graph, op: Op, target: Target) -> Lowered:
    x, pads, y = _in(g, op, 0), _in(g, op, 1), g.t(op.outputs[0])
    _qs8(op, x, y)
    if x.qparams() != y.qparams():
        raise _fail(op, "input and output quantization differ")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = _in(g, op, 2)
        if not cv.is_const or int(cv.data.reshape(-1)[0]) != y.qparams()[1]:
            raise _fail(op, "PADV2 with a constant other than the zero point")
    if pads is None or not pads.is_const:
        raise _fail(op, "paddings are computed at run time")
    rank = len(x.shape)
    if not 1 <= rank <= 5 or len(y.shape) != rank:
        raise _fail(op, f"rank {rank}")
    pv = pads.data.reshape(rank, 2).astype(np.int64)
    if np.any(pv < 0) or any(x.shape[d] + pv[d, 0] + pv[d, 1] != y.shape[d] for d in range(rank)):
        raise _fail(op, "paddings do not match the output shape")
    lead = 5 - rank
    fields = dict(in_dims=[1] * lead + list(x.shape), out_dims=[1] * lead + list(y.shape),
                  before=[0] * lead + [int(v) for v in pv[:, 0]], out_count=y.size, fill=y.qparams()[1])
    return Lowered(op, "x8_pad(&{P}, {in0}, {out0});", "x8_pad_params", fields, [], list(SOURCES["pad"]),
                   kernel="x8-pad")


LOWERINGS: dict[str, Callable[[Graph, Op, Target], Lowered]] = {
    "CONV_2D": _lower_conv2d,
    "DEPTHWISE_CONV_2D": _lower_depthwise,
    "FULLY_CONNECTED": _lower_fully_connected,
    "ADD": _lower_add,
    "MUL": _lower_mul,
    "AVERAGE_POOL_2D": lambda g, op, t: _lower_pool(g, op, t, False),
    "MAX_POOL_2D": lambda g, op, t: _lower_pool(g, op, t, True),
    "MEAN": _lower_mean,
    "SOFTMAX": _lower_softmax,
    "LOGISTIC": _lower_logistic,
    "HARD_SWISH": _lower_hard_swish,
    "QUANTIZE": _lower_quantize,
    "DEQUANTIZE": _lower_dequantize,
    "RESHAPE": _lower_reshape,
    "SQUEEZE": _lower_reshape,
    "EXPAND_DIMS": _lower_reshape,
    "CONCATENATION": _lower_concat,
    "PAD": _lower_pad,
    "PADV2": _lower_pad,
}


def lower(g: Graph, op: Op, target: Target, one_row: bool = False) -> Lowered:
    """``one_row``: GEMM ops use their kernel's one-row entry (less scratch, a little slower)."""
    if one_row and op.kind in ("CONV_2D", "FULLY_CONNECTED"):
        return LOWERINGS[op.kind](g, op, target, True)  # type: ignore[call-arg]
    fn = LOWERINGS.get(op.kind)
    if fn is None:
        raise _fail(op, "no MCU kernel for this op",
                    f"the compiler handles {', '.join(sorted(LOWERINGS))}")
    for i in op.outputs:
        if g.t(i).dtype not in ("int8", "float32"):
            raise _fail(op, f"output '{g.t(i).name}' is {g.t(i).dtype}", "convert with int8 activations")
    return fn(g, op, target)
