/* The requantization of base/requant.h on 4 int32 lanes (AArch64 Advanced SIMD), bit-exact with
 * eq_mbqm, eq_mbqm_single and eq_requant_fp32. */
#ifndef EDGEQ_KERNELS_REQUANT_NEON_H
#define EDGEQ_KERNELS_REQUANT_NEON_H

#include <arm_neon.h>

/* Double rounding: vqrdmulh is exactly gemmlowp's SaturatingRoundingDoublingHighMul (saturation
 * included); the right shift uses RoundingDivideByPOT's remainder/threshold test instead of
 * srshl, which would round negative ties the other way. */
static inline int32x4_t eq_neon_mbqm_double(int32x4_t x, int32x4_t m, int32x4_t shift) {
  const int32x4_t zero = vdupq_n_s32(0), one = vdupq_n_s32(1);
  const int32x4_t rs = vmaxq_s32(vnegq_s32(shift), zero);
  x = vshlq_s32(x, vmaxq_s32(shift, zero)); /* wraps like TFLite's x * (1 << shift) */
  x = vqrdmulhq_s32(x, m);
  const int32x4_t mask = vsubq_s32(vshlq_s32(one, rs), one);
  const int32x4_t rem = vandq_s32(x, mask);
  const int32x4_t thr = vaddq_s32(vshrq_n_s32(mask, 1),
                                  vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(x), 31)));
  const int32x4_t q = vshlq_s32(x, vnegq_s32(rs));
  return vsubq_s32(q, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
}

/* eq_neon_mbqm_double with the per-channel shift split at plan creation: ls = max(shift, 0),
 * rs = min(shift, 0), zm = all ones where rs == 0. srshl rounds ties up; subtracting 1 from
 * negative x first (ssra of its sign, skipped where rs == 0) makes that RoundingDivideByPOT's
 * away-from-zero rounding. x - 1 cannot wrap: sqrdmulh never returns INT32_MIN. */
static inline int32x4_t eq_neon_mbqm_double_pre(int32x4_t x, int32x4_t m, int32x4_t ls, int32x4_t rs,
                                                int32x4_t zm) {
  x = vqrdmulhq_s32(vshlq_s32(x, ls), m);
  x = vsraq_n_s32(x, vbicq_s32(x, zm), 31);
  return vrshlq_s32(x, rs);
}

/* eq_neon_mbqm_double_pre where every shift is negative (ls = 0, zm = 0: the usual case): three
 * instructions. */
static inline int32x4_t eq_neon_mbqm_double_right(int32x4_t x, int32x4_t m, int32x4_t rs) {
  x = vqrdmulhq_s32(x, m);
  return vrshlq_s32(vsraq_n_s32(x, x, 31), rs);
}

/* Single rounding: smull gives the exact 64-bit products and srshl by -(31 - shift) is exactly
 * (x * m + 2^(t-1)) >> t (the architecture rounds in unbounded precision); xtn keeps the low
 * 32 bits like TFLite's narrowing cast. */
static inline int32x4_t eq_neon_mbqm_single(int32x4_t x, int32x4_t m, int32x4_t shift) {
  const int32x4_t neg_t = vsubq_s32(shift, vdupq_n_s32(31));
  const int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(x), vget_low_s32(m)),
                                  vmovl_s32(vget_low_s32(neg_t)));
  const int64x2_t hi = vrshlq_s64(vmull_high_s32(x, m), vmovl_high_s32(neg_t));
  return vcombine_s32(vmovn_s64(lo), vmovn_s64(hi));
}

/* mode=fast (fp32) requantization on 4 lanes: the same IEEE operations as eq_requant_fp32 (fcvtns rounds
 * half to even whatever FPCR says); clamped, zero point added. */
static inline int32x4_t eq_neon_requant_fp32(int32x4_t acc, const float* scale, float32x4_t lo,
                                              float32x4_t hi, int32x4_t zp) {
  float32x4_t v = vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(scale));
  v = vminq_f32(vmaxq_f32(v, lo), hi);
  return vaddq_s32(vcvtnq_s32_f32(v), zp);
}

#endif
