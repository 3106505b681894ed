/* TFLite's integer requantization arithmetic, reproduced bit for bit: the one scalar
 * implementation every kernel, op and test reference includes (the per-ISA headers
 * requant-avx2.h, requant-avx512.h and requant-neon.h vectorize exactly these functions and are
 * tested bit-exactly against them).
 *
 * LiteRT 2.3's and TF 2.21's reference kernels (BUILTIN_REF) use two variants of
 * MultiplyByQuantizedMultiplier: CONV_2D, DEPTHWISE_CONV_2D and most other ops round twice
 * (gemmlowp's SaturatingRoundingDoublingHighMul, ties toward +inf, then RoundingDivideByPOT,
 * ties away from zero); FULLY_CONNECTED rounds once (TFLITE_SINGLE_ROUNDING). Multipliers come
 * from float scales through QuantizeMultiplier (frexp + round to Q31), as TFLite's Prepare does.
 * Shifts follow TFLite's convention: > 0 shifts left, within [-31, 30].
 */
#ifndef EDGEQ_KERNELS_REQUANT_H
#define EDGEQ_KERNELS_REQUANT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* gemmlowp SaturatingRoundingDoublingHighMul: (a*b + 2^30) >> 31 in effect (the nudge and the
 * truncating division round ties up), saturating the single overflow case INT32_MIN^2. */
static inline int32_t eq_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return (int32_t)((ab + nudge) / (1LL << 31)); /* C division truncates, like gemmlowp */
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero (exponent <= 31;
 * <= 0 leaves x unchanged). */
static inline int32_t eq_rdpot(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  const int32_t mask = (int32_t)((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^shift without the undefined behaviour of signed overflow (wraps like the runtime's
 * int32 x * (1 << shift) does once compiled). */
static inline int32_t eq_shl32(int32_t x, int shift) {
  return (int32_t)((uint32_t)x << shift);
}

/* MultiplyByQuantizedMultiplier with double rounding (TFLite's default build). */
static inline int32_t eq_mbqm(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return eq_rdpot(eq_srdhm(eq_shl32(x, left), multiplier), right);
}

/* MultiplyByQuantizedMultiplier with single rounding, half up: (x * m + 2^(30-shift)) >>
 * (31-shift) in 64 bits (BUILTIN_REF FULLY_CONNECTED for int8; measured: 10240/10240 outputs
 * agree with this and 10230 with double rounding). The sum cannot overflow int64 (|x*m| <=
 * 2^62, rounding term <= 2^61); narrowing keeps the low 32 bits, as TFLite's static_cast does
 * for results it only DCHECKs to fit. */
static inline int32_t eq_mbqm_single(int32_t x, int32_t multiplier, int shift) {
  const int total = 31 - shift;
  const int64_t sum = (int64_t)x * (int64_t)multiplier + (INT64_C(1) << (total - 1));
  return (int32_t)(uint32_t)(uint64_t)(sum >> total); /* arithmetic shift on GCC / Clang */
}

/* MultiplyByQuantizedMultiplierSmallerThanOneExp (ADD; left_shift <= 0). */
static inline int32_t eq_mbqm_smaller_than_one(int32_t x, int32_t multiplier, int left_shift) {
  return eq_rdpot(eq_srdhm(x, multiplier), -left_shift);
}

static inline int32_t eq_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* An int8 output: MultiplyByQuantizedMultiplier (single or double rounding), plus the zero
 * point (int32 add, wrapping), clamped to [c_min, c_max]. */
static inline int8_t eq_requantize(int32_t acc, int32_t multiplier, int32_t shift, int single, int32_t c_zp,
                                   int32_t c_min, int32_t c_max) {
  const int32_t y = single ? eq_mbqm_single(acc, multiplier, shift) : eq_mbqm(acc, multiplier, shift);
  int32_t x = (int32_t)((uint32_t)y + (uint32_t)c_zp);
  if (x < c_min) x = c_min;
  if (x > c_max) x = c_max;
  return (int8_t)x;
}

/* mode=fast requantization (opt-in, not bit-exact with TFLite; XNNPACK's fp32 scheme): float
 * multiply, clamp in float to the output range minus the zero point, round half to even, add
 * the zero point. The rounding adds 1.5 * 2^23 (|v| <= 255 after the clamp, so the sum's
 * mantissa holds round(v)), which is exact in any FP rounding mode and matches the SIMD
 * variants' cvtps / fcvtns. The clamp sits between multiply and add, so the compiler cannot
 * fuse them into an FMA. */
static inline int32_t eq_requant_fp32(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
  const float flo = (float)(lo - zp), fhi = (float)(hi - zp);
  float v = (float)acc * scale;
  v = v < flo ? flo : v;
  v = v > fhi ? fhi : v;
  union { float f; uint32_t u; } r;
  r.f = v + 12582912.0f;
  return (int32_t)(r.u - UINT32_C(0x4B400000)) + zp;
}

/* The fp32 scale of a Q31 multiplier / shift pair, multiplier * 2^(shift - 31): exact in double
 * (power-of-two divisor), then one rounding to float. */
static inline float eq_multiplier_to_float(int32_t multiplier, int32_t shift) {
  return (float)((double)multiplier / (double)(UINT64_C(1) << (31 - shift)));
}

/* QuantizeMultiplier(double, int32*, int*) from quantization_util.cc. */
static inline void eq_quantize_multiplier(double d, int32_t* multiplier, int* shift) {
  if (d == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  int s = 0;
  const double q = frexp(d, &s);
  int64_t q_fixed = (int64_t)round(q * (double)(1LL << 31));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++s;
  }
  if (s < -31) {
    s = 0;
    q_fixed = 0;
  }
  *multiplier = (int32_t)q_fixed;
  *shift = s;
}

/* CalculateActivationRangeQuantized for int8 outputs (rounding in float, as TFLite).
 * activation: TfLiteFusedActivation (1 relu, 2 relu_n1_to_1, 3 relu6, else none). */
static inline void eq_activation_range_int8(int activation, float scale, int32_t zero_point,
                                            int32_t* act_min, int32_t* act_max) {
  int32_t qmin = -128, qmax = 127;
#define EQ_QUANT(f) (zero_point + (int32_t)roundf((float)(f) / scale))
  if (activation == 1 /* relu */) {
    int32_t lo = EQ_QUANT(0.0f);
    *act_min = lo > qmin ? lo : qmin;
    *act_max = qmax;
  } else if (activation == 3 /* relu6 */) {
    int32_t lo = EQ_QUANT(0.0f), hi = EQ_QUANT(6.0f);
    *act_min = lo > qmin ? lo : qmin;
    *act_max = hi < qmax ? hi : qmax;
  } else if (activation == 2 /* relu_n1_to_1 */) {
    int32_t lo = EQ_QUANT(-1.0f), hi = EQ_QUANT(1.0f);
    *act_min = lo > qmin ? lo : qmin;
    *act_max = hi < qmax ? hi : qmax;
  } else {
    *act_min = qmin;
    *act_max = qmax;
  }
#undef EQ_QUANT
}

#endif /* EDGEQ_KERNELS_REQUANT_H */
