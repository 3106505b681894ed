/* NEON requantization + store of an 8-channel row, bit-exact with qs8_requantize() in both
 * rounding variants. */
#ifndef EDGEQ_QS8_REQUANT_NEON_H
#define EDGEQ_QS8_REQUANT_NEON_H

#include <arm_neon.h>

#include "qs8-gemm/qs8-gemm-ukernel.h"

/* Double rounding: vqrdmulh is exactly gemmlowp's SaturatingRoundingDoublingHighMul (saturation
 * included); the right shift uses RoundingDivideByPOT's remainder/threshold test instead of
 * srshl, which would round negative ties the other way. */
static inline int32x4_t qs8_neon_mbqm_double(int32x4_t x, int32x4_t m, int32x4_t shift) {
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

/* Single rounding: smull gives the exact 64-bit products and srshl by -(31 - shift) is exactly
 * (x * m + 2^(t-1)) >> t (the architecture rounds in unbounded precision); xtn keeps the low
 * 32 bits like TFLite's narrowing cast. */
static inline int32x4_t qs8_neon_mbqm_single(int32x4_t x, int32x4_t m, int32x4_t shift) {
  const int32x4_t neg_t = vsubq_s32(shift, vdupq_n_s32(31));
  const int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(x), vget_low_s32(m)),
                                  vmovl_s32(vget_low_s32(neg_t)));
  const int64x2_t hi = vrshlq_s64(vmull_high_s32(x, m), vmovl_high_s32(neg_t));
  return vcombine_s32(vmovn_s64(lo), vmovn_s64(hi));
}

static inline int32x4_t qs8_neon_mbqm(int32x4_t x, const qs8_tile_params* p, size_t j) {
  const int32x4_t m = vld1q_s32(p->mult + j), shift = vld1q_s32(p->shift + j);
  return p->rounding == QS8_ROUNDING_SINGLE ? qs8_neon_mbqm_single(x, m, shift) : qs8_neon_mbqm_double(x, m, shift);
}

/* QS8_REQUANT_FP32 on 4 lanes: the same IEEE operations as qs8_requantize_fp32 (fcvtns rounds
 * half to even whatever FPCR says); clamped, zero point added. */
static inline int32x4_t qs8_neon_requant_fp32(int32x4_t acc, const float* scale, float32x4_t lo,
                                              float32x4_t hi, int32x4_t zp) {
  float32x4_t v = vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(scale));
  v = vminq_f32(vmaxq_f32(v, lo), hi);
  return vaddq_s32(vcvtnq_s32_f32(v), zp);
}

/* Requantizes channels 0..3 (lo) and 4..7 (hi) of one row and stores 8 int8 outputs. */
static inline void qs8_neon_store8(int32x4_t lo, int32x4_t hi, const qs8_tile_params* p, int8_t* c) {
  const int32x4_t zp = vdupq_n_s32(p->c_zp);
  if (p->rounding == QS8_REQUANT_FP32) {
    const float32x4_t flo = vdupq_n_f32((float)(p->c_min - p->c_zp));
    const float32x4_t fhi = vdupq_n_f32((float)(p->c_max - p->c_zp));
    lo = qs8_neon_requant_fp32(lo, p->scale, flo, fhi, zp);
    hi = qs8_neon_requant_fp32(hi, p->scale + 4, flo, fhi, zp);
  } else {
    const int32x4_t vmin = vdupq_n_s32(p->c_min), vmax = vdupq_n_s32(p->c_max);
    lo = vaddq_s32(qs8_neon_mbqm(lo, p, 0), zp);
    hi = vaddq_s32(qs8_neon_mbqm(hi, p, 4), zp);
    lo = vminq_s32(vmaxq_s32(lo, vmin), vmax);
    hi = vminq_s32(vmaxq_s32(hi, vmin), vmax);
  }
  vst1_s8(c, vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi))));
}

#define QS8_DEFINE_MR(body, name, n)                                                      \
  static void name##_mr##n(size_t kc, const void* a, const void* w,                      \
                           const qs8_tile_params* p, int8_t* c, size_t ldc) {            \
    body(n, kc, a, w, p, c, ldc);                                                        \
  }
#define QS8_DEFINE_MR_TABLE(body, name)                                                   \
  QS8_DEFINE_MR(body, name, 1)                                                            \
  QS8_DEFINE_MR(body, name, 2)                                                            \
  QS8_DEFINE_MR(body, name, 3)                                                            \
  QS8_DEFINE_MR(body, name, 4)                                                            \
  const qs8_ukernel_fn name[4] = {name##_mr1, name##_mr2, name##_mr3, name##_mr4};

#endif
