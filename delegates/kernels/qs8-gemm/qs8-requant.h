/* TFLite requantization (MultiplyByQuantizedMultiplier), both variants LiteRT 2.3's and TF
 * 2.21's BUILTIN_REF kernels use (CONV_2D: double rounding, FULLY_CONNECTED: single rounding;
 * tests/test_gemm_kernels.py measures this). Shared by the scalar kernels and the test's naive
 * reference; SIMD kernels reimplement the same arithmetic and are checked bit-exactly against
 * these functions. Shifts are in [-31, 30] (TFLite convention, > 0 = left). */
#ifndef EDGEQ_QS8_REQUANT_H
#define EDGEQ_QS8_REQUANT_H

#include <stdint.h>

/* gemmlowp SaturatingRoundingDoublingHighMul: (a*b + 2^30) >> 31 in effect (the nudge and the
 * truncating division round ties up), saturating the single overflow case INT32_MIN^2. */
static inline int32_t qs8_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero, 0 <= e <= 31. */
static inline int32_t qs8_rdpot(int32_t x, int e) {
  const int32_t mask = (int32_t)((UINT64_C(1) << e) - 1);
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

/* Double rounding (TFLite default source build; BUILTIN_REF CONV_2D). The left shift wraps
 * like TFLite's int32 x * (1 << shift) does on real compilers. */
static inline int32_t qs8_mbqm_double(int32_t x, int32_t multiplier, int32_t shift) {
  const int ls = shift > 0 ? shift : 0, rs = shift > 0 ? 0 : -shift;
  return qs8_rdpot(qs8_srdhm((int32_t)((uint32_t)x << ls), multiplier), rs);
}

/* Single rounding (TFLITE_SINGLE_ROUNDING; BUILTIN_REF FULLY_CONNECTED). The sum cannot
 * overflow int64 (|x*m| <= 2^62, rounding term <= 2^61); narrowing keeps the low 32 bits, as
 * TFLite's static_cast does for results it only DCHECKs to fit. */
static inline int32_t qs8_mbqm_single(int32_t x, int32_t multiplier, int32_t shift) {
  const int total = 31 - shift;
  const int64_t sum = (int64_t)x * (int64_t)multiplier + (INT64_C(1) << (total - 1));
  return (int32_t)(uint32_t)(uint64_t)(sum >> total); /* arithmetic shift on GCC / Clang */
}

/* MultiplyByQuantizedMultiplier + zero point (int32 add, wrapping), clamped. */
static inline int8_t qs8_requantize(int32_t acc, int32_t multiplier, int32_t shift, int single,
                                    int32_t c_zp, int32_t c_min, int32_t c_max) {
  const int32_t y = single ? qs8_mbqm_single(acc, multiplier, shift)
                           : qs8_mbqm_double(acc, multiplier, shift);
  int32_t x = (int32_t)((uint32_t)y + (uint32_t)c_zp);
  if (x < c_min) x = c_min;
  if (x > c_max) x = c_max;
  return (int8_t)x;
}

/* QS8_REQUANT_FP32 (opt-in fast mode, not bit-exact with TFLite): float multiply, clamp in
 * float to the output range minus the zero point, round half to even, add the zero point. The
 * rounding adds 1.5 * 2^23 (|v| <= 255 after the clamp, so the sum's mantissa holds round(v)),
 * which is exact in any FP rounding mode and matches the SIMD variants' cvtps / fcvtns.
 * The clamp sits between multiply and add, so the compiler cannot fuse them into an FMA. */
static inline int8_t qs8_requantize_fp32(int32_t acc, float scale, int32_t c_zp, int32_t c_min,
                                         int32_t c_max) {
  const float lo = (float)(c_min - c_zp), hi = (float)(c_max - c_zp);
  float v = (float)acc * scale;
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  union { float f; uint32_t u; } r;
  r.f = v + 12582912.0f;
  return (int8_t)((int32_t)(r.u - UINT32_C(0x4B400000)) + c_zp);
}

#endif
