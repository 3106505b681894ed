"""edgeq's own numpy model of TFLite's integer FC / CONV_2D / DEPTHWISE_CONV_2D.

Reproduces the reference kernels bit for bit: ``acc = bias + Σ (x − x_zp)·w`` in
int32, then ``MultiplyByQuantizedMultiplier`` (rounding per op, see
``OP_ROUNDING``), ``+ out_zp`` and the fused-activation clamp. Tests use it as the oracle
that stock LiteRT must match for int4 models (weights given as unpacked ints).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite ``QuantizeMultiplier``: real ≈ m·2^(shift−31) with m a Q31 int32."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(math.floor(abs(q) * 2 ** 31 + 0.5)) * (1 if q >= 0 else -1)  # std::round: half away from 0
    if q_fixed == 2 ** 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def _srdhm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int64 arrays holding int32 values."""
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    res = np.where(s >= 0, s >> 31, -((-s) >> 31))  # C++ division truncates toward zero
    overflow = (a == _INT32_MIN) & (b == _INT32_MIN)
    return np.where(overflow, _INT32_MAX, res)


def _rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


#: Requantization rounding per op, as measured on LiteRT 2.3.0 / TF 2.21 reference kernels (BUILTIN_REF):
#: CONV_2D and DEPTHWISE_CONV_2D round twice (gemmlowp SRDHM, then RoundingDivideByPOT: half away from
#: zero); FULLY_CONNECTED (int8 and int4 filters, per-channel) rounds once, half up — 0/3600 mismatches
#: vs 96/3600 with double rounding in our check.
#: "half_up" (SRDHM, then a half-up rounding shift) is what the optimized x86 GEMM path of the builtin
#: kernels does (1×1 CONV_2D, per-channel FULLY_CONNECTED) — for comparing against resolver "builtin".
OP_ROUNDING = {"CONV_2D": "double", "DEPTHWISE_CONV_2D": "double", "FULLY_CONNECTED": "single"}
ROUNDINGS = ("double", "single", "half_up")


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: np.ndarray, shift: np.ndarray,
                                     rounding: str = "double") -> np.ndarray:
    """Elementwise (broadcasting) TFLite MultiplyByQuantizedMultiplier; ``rounding`` from ``ROUNDINGS``."""
    x = np.asarray(x, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}")
    if rounding == "single":
        total = 31 - s  # (x·m + 2^(total−1)) >> total: one rounding, half up
        return (x * m + (np.int64(1) << (total - 1))) >> total
    left, right = np.maximum(s, 0), np.maximum(-s, 0)
    shifted = x * (np.int64(1) << left)
    shifted = ((shifted - _INT32_MIN) % (2 ** 32)) + _INT32_MIN  # int32 wrap, as in C++
    high = _srdhm(shifted, m)
    if rounding == "half_up":
        return (high + ((np.int64(1) << right) >> 1)) >> right
    return _rounding_divide_by_pot(high, right)


def channel_multipliers(input_scale: float, weight_scales: Sequence[float], output_scale: float,
                        channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel (multiplier, shift) as ``PopulateConvolutionQuantizationParams`` computes them."""
    ws = np.asarray(weight_scales, dtype=np.float32).reshape(-1)
    if ws.size == 1:
        ws = np.repeat(ws, channels)
    pairs = [quantize_multiplier(float(np.float32(input_scale)) * float(w) / float(np.float32(output_scale)))
             for w in ws]
    return np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """Clamp bounds for a fused activation (``CalculateActivationRangeQuantized``, int8 output)."""
    lo, hi = -128, 127

    def q(f: float) -> int:  # zp + TfLiteRound(f / scale), division in float32
        v = np.float32(f) / np.float32(scale)
        return int(zero_point + math.copysign(math.floor(abs(float(v)) + 0.5), float(v)))

    if activation == "NONE":
        return lo, hi
    if activation == "RELU":
        return max(lo, q(0.0)), hi
    if activation == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    raise ValueError(f"fused activation {activation} has no int8 clamp")


def _add_bias_and_requantize(acc: np.ndarray, bias: np.ndarray | None, input_scale: float, weight_scales,
                             output_scale: float, output_zp: int, activation: str, rounding: str) -> np.ndarray:
    """int32-range accumulators (+ bias) → int8 outputs, as TFLite's integer kernels finish every weight op."""
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    c = acc.shape[-1]
    m, s = channel_multipliers(input_scale, weight_scales, output_scale, c)
    out = multiply_by_quantized_multiplier(acc, m, s, rounding) + output_zp
    lo, hi = activation_range(activation, output_scale, output_zp)
    return np.clip(out, lo, hi).astype(np.int8)


def _same_or_valid_pad(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) as TFLite ``ComputePaddingHeightWidth`` computes them."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (size + stride - 1) // stride
    else:
        out = (size - eff + stride) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2, total - total // 2


def _patches(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int], dilation: tuple[int, int],
             padding: str, pad_value: int) -> np.ndarray:
    """NHWC input → [N, OH, OW, KH, KW, C] windows, padding filled with ``pad_value``."""
    n, h, w, c = x.shape
    oh, pt, pb = _same_or_valid_pad(h, kh, stride[0], dilation[0], padding)
    ow, pl, pr = _same_or_valid_pad(w, kw, stride[1], dilation[1], padding)
    xp = np.pad(x, ((0, 0), (pt, pb + stride[0]), (pl, pr + stride[1]), (0, 0)), constant_values=pad_value)
    out = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dilation[0], j * dilation[1]
            out[:, :, :, i, j, :] = xp[:, y0:y0 + oh * stride[0]:stride[0], x0:x0 + ow * stride[1]:stride[1], :]
    return out


def fully_connected(x: np.ndarray, x_zp: int, x_scale: float, w: np.ndarray, w_scales, bias: np.ndarray | None,
                    out_scale: float, out_zp: int, activation: str = "NONE", rounding: str | None = None) -> np.ndarray:
    """x [..., K] int8, w [O, K] ints → int8 [rows, O]."""
    k = w.shape[1]
    xs = x.reshape(-1, k).astype(np.int64) - x_zp
    acc = xs @ w.astype(np.int64).T
    return _add_bias_and_requantize(acc, bias, x_scale, w_scales, out_scale, out_zp, activation,
                                    rounding or OP_ROUNDING["FULLY_CONNECTED"])


def conv2d(x: np.ndarray, x_zp: int, x_scale: float, w: np.ndarray, w_scales, bias: np.ndarray | None,
           out_scale: float, out_zp: int, *, stride=(1, 1), dilation=(1, 1), padding: str = "VALID",
           activation: str = "NONE", rounding: str | None = None) -> np.ndarray:
    """x NHWC int8, w [O, KH, KW, I] ints → int8 NHWC (padding contributes 0 after the offset)."""
    o, kh, kw, ci = w.shape
    p = _patches(x, kh, kw, stride, dilation, padding, x_zp).astype(np.int64) - x_zp
    acc = np.tensordot(p, w.astype(np.int64).transpose(1, 2, 3, 0), axes=([3, 4, 5], [0, 1, 2]))
    return _add_bias_and_requantize(acc, bias, x_scale, w_scales, out_scale, out_zp, activation,
                                    rounding or OP_ROUNDING["CONV_2D"])


def depthwise_conv2d(x: np.ndarray, x_zp: int, x_scale: float, w: np.ndarray, w_scales, bias: np.ndarray | None,
                     out_scale: float, out_zp: int, *, stride=(1, 1), dilation=(1, 1), padding: str = "VALID",
                     activation: str = "NONE", rounding: str | None = None) -> np.ndarray:
    """x NHWC int8, w [1, KH, KW, C·M] ints (out channel c·M+m reads input c) → int8 NHWC."""
    _, kh, kw, oc = w.shape
    c = x.shape[-1]
    mult = oc // c
    p = _patches(x, kh, kw, stride, dilation, padding, x_zp).astype(np.int64) - x_zp
    p = np.repeat(p, mult, axis=-1)  # input channel c feeds outputs c·M … c·M+M−1
    acc = np.einsum("nhwijc,ijc->nhwc", p, w[0].astype(np.int64))
    return _add_bias_and_requantize(acc, bias, x_scale, w_scales, out_scale, out_zp, activation,
                                    rounding or OP_ROUNDING["DEPTHWISE_CONV_2D"])


def run_op(model_bytes: bytes, op_index: int, x: np.ndarray, rounding: str | None = None) -> np.ndarray:
    """Compute op ``op_index`` of subgraph 0 (FC / CONV_2D / DEPTHWISE_CONV_2D, int8 or int4 weights) on ``x``.

    Quantization parameters, options and weights come from the model itself, so
    the result is what a TFLite reference kernel must produce for that op.
    ``rounding`` overrides the op's requantization rounding (see ``OP_ROUNDING``).
    """
    from .. import tflite_schema as ts
    from . import graph
    from .packing import unpack_int4

    model = ts.read_model(model_bytes)
    sg = model.subgraphs[0]
    op = sg.operators[op_index]
    kind = ts.op_name(model, op)
    ins = [int(t) for t in op.inputs]
    t_in, t_w, t_out = sg.tensors[ins[0]], sg.tensors[ins[1]], sg.tensors[int(op.outputs[0])]
    wshape = graph.shape(t_w)
    if graph.type_name(t_w) == "int4":
        raw = np.asarray(model.buffers[t_w.buffer].data, np.uint8).tobytes()
        w = unpack_int4(raw, int(np.prod(wshape))).reshape(wshape)
    else:
        w = graph.buffer_array(model, t_w, np.int8)
    bias = None
    if len(ins) > 2 and ins[2] >= 0:
        bias = graph.buffer_array(model, sg.tensors[ins[2]], np.int32)
    in_s, in_zp, _ = graph.quant(t_in)
    w_s, _, _ = graph.quant(t_w)
    out_s, out_zp, _ = graph.quant(t_out)
    act = graph.fused_activation(model, op)
    common = (int(in_zp[0]), float(in_s[0]), w, w_s, bias, float(out_s[0]), int(out_zp[0]))
    if kind == "FULLY_CONNECTED":
        return fully_connected(x, *common, activation=act, rounding=rounding)
    o = op.builtinOptions
    kw = dict(stride=(int(o.strideH), int(o.strideW)),
              dilation=(int(o.dilationHFactor or 1), int(o.dilationWFactor or 1)),
              padding="SAME" if int(o.padding) == ts.schema().Padding.SAME else "VALID", activation=act,
              rounding=rounding)
    if kind == "CONV_2D":
        return conv2d(x, *common, **kw)
    if kind == "DEPTHWISE_CONV_2D":
        return depthwise_conv2d(x, *common, **kw)
    raise ValueError(f"op {op_index} is {kind}: reference covers FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D")
