/* TFLite's integer requantization arithmetic, reproduced bit for bit.
 *
 * The reference kernels (BUILTIN_REF) of LiteRT / TF Lite are built without
 * TFLITE_SINGLE_ROUNDING, so MultiplyByQuantizedMultiplier rounds twice:
 * SaturatingRoundingDoublingHighMul (gemmlowp, ties toward +inf) and then
 * RoundingDivideByPOT (ties away from zero). Multipliers are derived from float scales
 * with QuantizeMultiplier (frexp + round to Q31), exactly as Prepare does in TFLite.
 */
#ifndef EDGEQ_CPU_REQUANT_H
#define EDGEQ_CPU_REQUANT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline int32_t eq_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return (int32_t)((ab + nudge) / (1LL << 31)); /* C division truncates, like gemmlowp */
}

static inline int32_t eq_rdpot(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  int32_t mask = (int32_t)((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^shift without the undefined behaviour of signed overflow (wraps like the
 * runtime's build does). */
static inline int32_t eq_shl32(int32_t x, int shift) {
  return (int32_t)((uint32_t)x << shift);
}

static inline int32_t eq_mbqm(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return eq_rdpot(eq_srdhm(eq_shl32(x, left), multiplier), right);
}

/* One rounding step, half up: ((x * m) + 2^(30-shift)) >> (31-shift). This is what
 * BUILTIN_REF FULLY_CONNECTED produces for int8 in LiteRT 2.3 / TF 2.21 (its int8 path
 * goes through ruy-style single rounding; measured: 10240/10240 outputs agree with this
 * and 10230 with double rounding). */
static inline int32_t eq_mbqm_single(int32_t x, int32_t multiplier, int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)(((int64_t)x * (int64_t)multiplier + round) >> total_shift);
}

/* MultiplyByQuantizedMultiplierSmallerThanOneExp (ADD). */
static inline int32_t eq_mbqm_smaller_than_one(int32_t x, int32_t multiplier, int left_shift) {
  return eq_rdpot(eq_srdhm(x, multiplier), -left_shift);
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

/* CalculateActivationRangeQuantized for int8 outputs (rounding in float, as TFLite). */
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

static inline int32_t eq_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* Signed 4-bit element i of a TFLite INT4 buffer (element 2j in the low nibble). */
static inline int32_t eq_int4_at(const uint8_t* packed, size_t i) {
  uint8_t b = packed[i >> 1];
  return (i & 1) ? (int32_t)((int8_t)b >> 4) : (int32_t)((int8_t)(uint8_t)(b << 4) >> 4);
}

/* mode=fast requantization (not bit-exact with TFLite; same arithmetic as the GEMM library's
 * qs8_requantize_fp32 so every kernel agrees): float multiply, clamp in float, round half to
 * even via 1.5 * 2^23 (exact whatever the FP rounding mode), add the zero point. */
static inline int32_t eq_requant_fp32(int32_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
  const float flo = (float)(lo - zp), fhi = (float)(hi - zp);
  float v = (float)acc * scale;
  v = v < flo ? flo : v;
  v = v > fhi ? fhi : v;
  union { float f; uint32_t u; } r;
  r.f = v + 12582912.0f;
  return (int32_t)(r.u - UINT32_C(0x4B400000)) + zp;
}

/* Per-channel float scale of a Q31 multiplier / shift pair: multiplier * 2^(shift - 31). */
static inline float eq_multiplier_to_float(int32_t multiplier, int32_t shift) {
  return (float)((double)multiplier / (double)(UINT64_C(1) << (31 - shift)));
}

#endif /* EDGEQ_CPU_REQUANT_H */
