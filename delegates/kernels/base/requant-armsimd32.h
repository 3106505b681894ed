/* Armv7E-M / Armv8-M Mainline variant of requant.h's eq_mbqm and eq_requantize: TFLite's
 * double-rounding requantization (MultiplyByQuantizedMultiplier) in a form that compiles to a few
 * 32x32->64 instructions on Cortex-M (SMULL, ADDS/ADC, shifts) instead of the reference's
 * sign-dependent nudge and masks:
 *   SaturatingRoundingDoublingHighMul(a, m) = (a*m + 2^30) >> 31 (arithmetic), for m >= 0:
 *     the reference truncates (a*m + nudge) / 2^31 with nudge 2^30 or 1 - 2^30 by sign, and
 *     truncating a negative N is ceil(N / 2^31) = floor((N + 2^31 - 1) / 2^31);
 *   RoundingDivideByPOT(x, e) = (x + 2^(e-1) - [x < 0]) >> e, e >= 1 (ties away from zero).
 * Multipliers from QuantizeMultiplier are never negative, so the one saturating case of the
 * reference (INT32_MIN * INT32_MIN) cannot occur. test/requant-armsimd32-test.c checks equality. */
#ifndef EDGEQ_KERNELS_REQUANT_ARMSIMD32_H
#define EDGEQ_KERNELS_REQUANT_ARMSIMD32_H

#include <stdint.h>

static inline int32_t eq_mbqm_armsimd32(int32_t acc, int32_t multiplier, int32_t shift) {
  const int ls = shift > 0 ? shift : 0, rs = shift > 0 ? 0 : -shift;
  const int32_t x = (int32_t)((uint32_t)acc << ls);
  int32_t y = (int32_t)(((int64_t)x * multiplier + (INT64_C(1) << 30)) >> 31);
  if (rs > 0) y = (int32_t)(((int64_t)y + (INT64_C(1) << (rs - 1)) - (y < 0)) >> rs);
  return y;
}

static inline int8_t eq_requantize_armsimd32(int32_t acc, int32_t multiplier, int32_t shift, int32_t single,
                                         int32_t zp, int32_t lo, int32_t hi) {
  int32_t y;
  if (single) {
    const int total = 31 - shift;
    y = (int32_t)(((int64_t)acc * multiplier + (INT64_C(1) << (total - 1))) >> total);
  } else {
    y = eq_mbqm_armsimd32(acc, multiplier, shift);
  }
  y = (int32_t)((uint32_t)y + (uint32_t)zp);
  y = y < lo ? lo : y;
  y = y > hi ? hi : y;
  return (int8_t)y;
}

#endif
