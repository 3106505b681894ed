/* The gemmlowp fixed-point pieces TFLite's reference int8 softmax uses, on raw int32
 * values. A value "Qn" has n integer bits and 31-n fractional bits. */
#ifndef EDGEQ_CPU_FIXEDPOINT_H
#define EDGEQ_CPU_FIXEDPOINT_H

#include <stdint.h>

#include "base/requant.h"

/* Q(a) * Q(b) -> Q(a+b) */
static inline int32_t fp_mul(int32_t a, int32_t b) { return eq_srdhm(a, b); }

/* SaturatingRoundingMultiplyByPOT<exponent> */
static inline int32_t fp_mul_pot(int32_t x, int exponent) {
  if (exponent < 0) return eq_rdpot(x, -exponent);
  if (exponent == 0) return x;
  const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return eq_shl32(x, exponent);
}

/* Rescale from `src_bits` to `dst_bits` integer bits. */
static inline int32_t fp_rescale(int32_t x, int src_bits, int dst_bits) {
  return fp_mul_pot(x, src_bits - dst_bits);
}

/* exp(a) for a in [-1/4, 0), Q0 in and out. */
static inline int32_t fp_exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;   /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = a + (1 << 28);            /* a + 1/8 */
  const int32_t x2 = fp_mul(x, x);
  const int32_t x3 = fp_mul(x2, x);
  const int32_t x4 = fp_mul(x2, x2);
  const int32_t x4_over_4 = fp_mul_pot(x4, -2);
  const int32_t poly = fp_mul_pot(fp_mul(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + fp_mul(constant_term, x + poly);
}

/* exp(a) for a <= 0 given with `int_bits` integer bits; result Q0. */
static inline int32_t fp_exp_on_negative(int32_t a, int int_bits) {
  const int frac_bits = 31 - int_bits;
  const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int32_t result = fp_exp_quarter(fp_rescale(a_mod_quarter_minus_quarter, int_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  static const int32_t kMult[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int e = -2; e <= 4; ++e) {
    if (int_bits > e) {
      const int shift = frac_bits + e;
      if (shift < 31 && (remainder & ((int32_t)1 << shift))) result = fp_mul(result, kMult[e + 2]);
    }
  }
  if (int_bits > 5) {
    const int32_t clamp = -((int32_t)1 << (36 - int_bits)); /* -32.0 */
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX;
  return result;
}

/* 1 / (1 + x) for x in [0, 1), Q0 in and out (Newton-Raphson, 3 iterations). */
static inline int32_t fp_one_over_one_plus_x(int32_t a) {
  /* RoundingHalfSum(a, One) */
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int64_t sign = sum >= 0 ? 1 : -1;
  const int32_t half_denominator = (int32_t)((sum + sign) / 2);
  const int32_t c48_17 = 1515870810, cneg32_17 = -1010580540; /* Q2 */
  int32_t x = c48_17 + fp_mul(half_denominator, cneg32_17);
  const int32_t one_q2 = (int32_t)1 << 29;
  for (int i = 0; i < 3; ++i) {
    const int32_t hdx = fp_mul(half_denominator, x);      /* Q2 */
    const int32_t one_minus = one_q2 - hdx;                /* Q2 */
    x = x + fp_rescale(fp_mul(x, one_minus), 4, 2);        /* Q4 -> Q2 */
  }
  /* ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale to Q0 */
  return fp_rescale(x, 1, 0);
}

#endif
