"""TFLite's Prepare-time quantization arithmetic, done once at compile time.

The kernels on the device only apply multipliers; they never derive them. Every value here
must equal what LiteRT's reference kernels compute in Prepare, bit for bit, including
where TFLite works in float32 (ADD's ``2 * max_scale``, MUL's ``s1 * s2 / s_out``) and where it
promotes to double (per-channel conv scales).
"""
from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127

#: TFLite fused activation codes (schema ActivationFunctionType)
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3
SUPPORTED_ACTIVATIONS = (ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6)


def _round_half_away(x: float) -> int:
    """std::round: ties away from zero (Python's round() ties to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def quantize_multiplier(d: float) -> tuple[int, int]:
    """QuantizeMultiplier (quantization_util.cc): Q31 multiplier and shift (> 0 = left)."""
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = _round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def channel_multipliers(input_scale: float, filter_scales: np.ndarray, output_scale: float,
                        channels: int) -> tuple[np.ndarray, np.ndarray]:
    """PopulateConvolutionQuantizationParams: float32 scales promoted to double, then multiplied."""
    fs = np.asarray(filter_scales, dtype=np.float32).reshape(-1)
    if fs.size == 1:
        fs = np.repeat(fs, channels)
    mult = np.zeros(channels, np.int32)
    shift = np.zeros(channels, np.int32)
    for c in range(channels):
        eff = float(np.float32(input_scale)) * float(fs[c]) / float(np.float32(output_scale))
        mult[c], shift[c] = quantize_multiplier(eff)
    return mult, shift


def quantize_f32(value: float, scale: float, zero_point: int) -> int:
    """TFLite's Quantize(): zp + (int)TfLiteRound(f / scale), in float32."""
    q = np.float32(value) / np.float32(scale)
    return int(zero_point) + _round_half_away(float(q))


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 output."""
    lo, hi = INT8_MIN, INT8_MAX
    if activation == ACT_RELU:
        lo = max(lo, quantize_f32(0.0, scale, zero_point))
    elif activation == ACT_RELU6:
        lo = max(lo, quantize_f32(0.0, scale, zero_point))
        hi = min(hi, quantize_f32(6.0, scale, zero_point))
    elif activation == ACT_RELU_N1_TO_1:
        lo = max(lo, quantize_f32(-1.0, scale, zero_point))
        hi = min(hi, quantize_f32(1.0, scale, zero_point))
    return lo, hi


def add_params(s1: float, s2: float, s_out: float) -> dict:
    """add.cc Prepare for int8: 20 bits of headroom, inputs rescaled to twice the larger scale."""
    f1, f2, fo = np.float32(s1), np.float32(s2), np.float32(s_out)
    twice_max = float(np.float32(2) * max(f1, f2))  # a float product, then widened
    left_shift = 20
    m1, sh1 = quantize_multiplier(float(f1) / twice_max)
    m2, sh2 = quantize_multiplier(float(f2) / twice_max)
    mo, sho = quantize_multiplier(twice_max / float(np.float32(1 << left_shift) * fo))
    return {"left_shift": left_shift, "a_mult": m1, "a_shift": sh1, "b_mult": m2, "b_shift": sh2,
            "out_mult": mo, "out_shift": sho}


def mul_multiplier(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    """mul.cc: the real multiplier is a float32 expression, then widened."""
    real = np.float32(s1) * np.float32(s2) / np.float32(s_out)
    return quantize_multiplier(float(real))


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius with 5 integer bits: (mult, left_shift, diff_min)."""
    bits = 5
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * float(1 << (31 - bits)),
               float((1 << 31) - 1))
    mult, shift = quantize_multiplier(real)
    max_input_rescaled = 1.0 * ((1 << bits) - 1) * float(1 << (31 - bits)) / float(1 << shift)
    diff_min = -int(math.floor(max_input_rescaled))
    return mult, shift, diff_min


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """QuantizedMeanOrSum: the 1/count factor folded into the multiplier, as the reference does."""
    m, sh = quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
    shift = count.bit_length() - 1
    shift = min(shift, 32, 31 + sh)
    mult = (m << shift) // count  # both positive: floor equals C's truncation
    return int(mult), int(sh - shift)


def logistic_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    """LUTPopulate<int8_t> for LOGISTIC: float32 arithmetic with expf, indexed by (uint8)x."""
    lut = np.zeros(256, np.int8)
    inv = np.float32(1) / np.float32(out_scale)
    for v in range(-128, 128):
        deq = np.float32(in_scale) * np.float32(v - in_zp)
        tr = np.float32(1) / (np.float32(1) + _expf(-deq))
        resc = np.float32(_round_half_away(float(tr * inv)))
        q = int(resc + np.float32(out_zp))
        lut[v & 0xFF] = min(max(q, INT8_MIN), INT8_MAX)
    return lut


def _libm_expf():
    """The C library's expf, which TFLite's LUT builders call; None where it cannot be loaded."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("m")
    try:
        f = ctypes.CDLL(name).expf if name else None
    except OSError:
        return None
    if f is not None:
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
    return f


_EXPF = _libm_expf()


def _expf(x: np.float32) -> np.float32:
    if _EXPF is not None:
        return np.float32(_EXPF(float(x)))
    return np.float32(math.exp(float(x)))  # correctly rounded double, then float: equal but for rare ties


def _sat16(v: int) -> int:
    return max(-32768, min(32767, v))


def _srdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else (1 - (1 << 14))
    return _trunc_div(ab + nudge, 1 << 15)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _rdpot16(x: int, e: int) -> int:
    if e <= 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def _downscale16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    if m >= (1 << 31) - 1 - (1 << 15):
        return 32767
    return (m + (1 << 15)) >> 16


def hard_swish_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray | None:
    """The reference int8 HARD_SWISH evaluated for every input value; None when TFLite's
    int16 path would need a left output shift (unsupported, as in the CPU delegate)."""
    hires = np.float32(1.0 / 128.0) * np.float32(in_scale)
    out_m = hires / np.float32(out_scale)
    relu_m = hires / np.float32(3.0 / 32768.0)
    m32, out_exp = quantize_multiplier(float(out_m))
    if out_exp > 0:
        return None
    out_mult = _downscale16(m32)
    m32, relu_exp = quantize_multiplier(float(relu_m))
    relu_mult = _downscale16(m32)
    lut = np.zeros(256, np.int8)
    for v in range(-128, 128):
        iv = _to16(v - in_zp)
        hi = _to16(iv * 128)
        pre_out = _srdhm16(hi, out_mult)
        r = hi
        if relu_exp > 0:
            r = _sat16(r * (1 << (relu_exp - 1)))
        r = _srdhm16(r, relu_mult)
        if relu_exp > 0:
            r = _sat16(r * 2)
        if relu_exp < 0:
            r = _rdpot16(r, -relu_exp)
        r = _to16((r + (1 << 15)) >> 1)
        pre = 32767 if r == pre_out == -32768 else _to16(_trunc_div(r * pre_out, 1 << 15))  # SQDMULH
        o = _rdpot16(pre, -out_exp)
        val = _to16(o + out_zp)
        lut[v & 0xFF] = min(max(val, INT8_MIN), INT8_MAX)
    return lut


def _to16(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v
