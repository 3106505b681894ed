/* TFLite's double-rounding requantization (base/requant.h's eq_mbqm, plus zero point and
 * clamp) on four int32 lanes with Helium: VQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul;
 * RoundingDivideByPOT is VRSHL (ties up) after gemmlowp's fix-up, which subtracts 1 from negative
 * values that will be shifted, so ties go away from zero. Left shifts wrap, like the reference. */
#ifndef EDGEQ_KERNELS_REQUANT_MVE_H
#define EDGEQ_KERNELS_REQUANT_MVE_H

#include <arm_mve.h>
#include <stdint.h>

static inline int32x4_t eq_requantize_mve(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t zp, int32_t lo,
                                           int32_t hi) {
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t left = vmaxq_s32(shift, zero), right = vminq_s32(shift, zero);
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, left), mult);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31));
  v = vrshlq_s32(v, right);
  v = vaddq_n_s32(v, zp);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

#endif
