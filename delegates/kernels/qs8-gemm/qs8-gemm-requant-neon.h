/* GEMM tile requantization for the NEON kernels: channels of one output row from the tile's
 * parameters (rounding variant, multipliers, shifts, clamp), stored as int8; and the macros that
 * build a kernel's table of 1..MR-row entries. */
#ifndef EDGEQ_QS8_GEMM_REQUANT_NEON_H
#define EDGEQ_QS8_GEMM_REQUANT_NEON_H

#include <arm_neon.h>

#include "base/requant-neon.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

static inline int32x4_t qs8_neon_mbqm(int32x4_t x, const qs8_tile_params* p, size_t j) {
  const int32x4_t m = vld1q_s32(p->mult + j), shift = vld1q_s32(p->shift + j);
  return p->rounding == QS8_ROUNDING_SINGLE ? eq_neon_mbqm_single(x, m, shift) : eq_neon_mbqm_double(x, m, shift);
}

/* Requantizes channels 0..3 (lo) and 4..7 (hi) of one row and stores 8 int8 outputs. */
static inline void qs8_neon_store8(int32x4_t lo, int32x4_t hi, const qs8_tile_params* p, int8_t* c) {
  const int32x4_t zp = vdupq_n_s32(p->c_zp);
  if (p->rounding == QS8_REQUANT_FP32) {
    const float32x4_t flo = vdupq_n_f32((float)(p->c_min - p->c_zp));
    const float32x4_t fhi = vdupq_n_f32((float)(p->c_max - p->c_zp));
    lo = eq_neon_requant_fp32(lo, p->scale, flo, fhi, zp);
    hi = eq_neon_requant_fp32(hi, p->scale + 4, flo, fhi, zp);
  } else {
    const int32x4_t vmin = vdupq_n_s32(p->c_min), vmax = vdupq_n_s32(p->c_max);
    lo = vaddq_s32(qs8_neon_mbqm(lo, p, 0), zp);
    hi = vaddq_s32(qs8_neon_mbqm(hi, p, 4), zp);
    lo = vminq_s32(vmaxq_s32(lo, vmin), vmax);
    hi = vminq_s32(vmaxq_s32(hi, vmin), vmax);
  }
  vst1_s8(c, vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi))));
}

/* Requantizes the mr x 16 accumulators of a tile (channel constants loaded once per 4 channels,
 * shared by the rows) and stores 16 int8 outputs per row. The zero point is added in int32
 * (wrapping, like TFLite), then narrowed with saturation and clamped on int8: the same result
 * as clamping the int32 sum, since the clamp bounds lie inside the saturation ranges. */
static inline __attribute__((always_inline)) void qs8_neon_store16_rows(int32x4_t acc[][4], const size_t mr,
                                                                        const qs8_tile_params* p, size_t n0,
                                                                        int8_t* c, size_t ldc) {
  if (p->rounding == QS8_ROUNDING_DOUBLE && p->right_only) {
    for (size_t j = 0; j < 4; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), rs = vld1q_s32(p->rshift + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) acc[r][j] = eq_neon_mbqm_double_right(acc[r][j], m, rs);
    }
  } else if (p->rounding == QS8_ROUNDING_DOUBLE) {
    for (size_t j = 0; j < 4; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), ls = vld1q_s32(p->lshift + n0 + 4 * j);
      const int32x4_t rs = vld1q_s32(p->rshift + n0 + 4 * j), zm = vld1q_s32(p->zmask + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) acc[r][j] = eq_neon_mbqm_double_pre(acc[r][j], m, ls, rs, zm);
    }
  } else if (p->rounding == QS8_ROUNDING_SINGLE) {
    for (size_t j = 0; j < 4; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), shift = vld1q_s32(p->shift + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) acc[r][j] = eq_neon_mbqm_single(acc[r][j], m, shift);
    }
  } else { /* fp32: clamped in float around the zero point, which is added below */
    const float32x4_t flo = vdupq_n_f32((float)(p->c_min - p->c_zp));
    const float32x4_t fhi = vdupq_n_f32((float)(p->c_max - p->c_zp));
    for (size_t j = 0; j < 4; j++)
      for (size_t r = 0; r < mr; r++)
        acc[r][j] = eq_neon_requant_fp32(acc[r][j], p->scale + n0 + 4 * j, flo, fhi, vdupq_n_s32(0));
  }
  const int8x16_t vmin = vdupq_n_s8((int8_t)p->c_min), vmax = vdupq_n_s8((int8_t)p->c_max);
  if (p->rounding == QS8_ROUNDING_DOUBLE && p->right_only) {
    /* |requantized| <= 2^30 here, so the zero point goes in after the first saturating
     * narrow (sqadd in int16): the same int8 result, two adds per row instead of four */
    const int16x8_t zp16 = vdupq_n_s16((int16_t)p->c_zp);
    for (size_t r = 0; r < mr; r++) {
      const int16x8_t lo = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(acc[r][0]), acc[r][1]), zp16);
      const int16x8_t hi = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(acc[r][2]), acc[r][3]), zp16);
      const int8x16_t y = vqmovn_high_s16(vqmovn_s16(lo), hi);
      vst1q_s8(c + r * ldc, vminq_s8(vmaxq_s8(y, vmin), vmax));
    }
    return;
  }
  const int32x4_t zp = vdupq_n_s32(p->c_zp);
  for (size_t r = 0; r < mr; r++) {
    const int16x8_t lo = vqmovn_high_s32(vqmovn_s32(vaddq_s32(acc[r][0], zp)), vaddq_s32(acc[r][1], zp));
    const int16x8_t hi = vqmovn_high_s32(vqmovn_s32(vaddq_s32(acc[r][2], zp)), vaddq_s32(acc[r][3], zp));
    const int8x16_t y = vqmovn_high_s16(vqmovn_s16(lo), hi);
    vst1q_s8(c + r * ldc, vminq_s8(vmaxq_s8(y, vmin), vmax));
  }
}

/* The same for 8-channel tiles: requantizes rows[r][0..1] and stores 8 int8 outputs per row. */
static inline __attribute__((always_inline)) void qs8_neon_store8_rows(int32x4_t rows[][2], const size_t mr,
                                                                       const qs8_tile_params* p, size_t n0,
                                                                       int8_t* c, size_t ldc) {
  if (p->rounding == QS8_ROUNDING_DOUBLE && p->right_only) {
    for (size_t j = 0; j < 2; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), rs = vld1q_s32(p->rshift + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) rows[r][j] = eq_neon_mbqm_double_right(rows[r][j], m, rs);
    }
  } else if (p->rounding == QS8_ROUNDING_DOUBLE) {
    for (size_t j = 0; j < 2; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), ls = vld1q_s32(p->lshift + n0 + 4 * j);
      const int32x4_t rs = vld1q_s32(p->rshift + n0 + 4 * j), zm = vld1q_s32(p->zmask + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) rows[r][j] = eq_neon_mbqm_double_pre(rows[r][j], m, ls, rs, zm);
    }
  } else if (p->rounding == QS8_ROUNDING_SINGLE) {
    for (size_t j = 0; j < 2; j++) {
      const int32x4_t m = vld1q_s32(p->mult + n0 + 4 * j), shift = vld1q_s32(p->shift + n0 + 4 * j);
      for (size_t r = 0; r < mr; r++) rows[r][j] = eq_neon_mbqm_single(rows[r][j], m, shift);
    }
  } else {
    const float32x4_t flo = vdupq_n_f32((float)(p->c_min - p->c_zp));
    const float32x4_t fhi = vdupq_n_f32((float)(p->c_max - p->c_zp));
    for (size_t j = 0; j < 2; j++)
      for (size_t r = 0; r < mr; r++)
        rows[r][j] = eq_neon_requant_fp32(rows[r][j], p->scale + n0 + 4 * j, flo, fhi, vdupq_n_s32(0));
  }
  const int32x4_t zp = vdupq_n_s32(p->c_zp);
  const int8x8_t vmin = vdup_n_s8((int8_t)p->c_min), vmax = vdup_n_s8((int8_t)p->c_max);
  for (size_t r = 0; r < mr; r++) {
    const int16x8_t v = vqmovn_high_s32(vqmovn_s32(vaddq_s32(rows[r][0], zp)), vaddq_s32(rows[r][1], zp));
    vst1_s8(c + r * ldc, vmin_s8(vmax_s8(vqmovn_s16(v), vmin), vmax));
  }
}

/* End of the 2x8c16 kernels (int8 and int4 weights): each (row, channel) accumulator holds four
 * partial sums, added pairwise (addp) into one lane per channel, then bias, requantization and
 * the 8 int8 outputs per row. */
static inline __attribute__((always_inline)) void qs8_neon_store_2x8c16(int32x4_t acc[2][8], const size_t mr,
                                                                        const qs8_tile_params* p, size_t n0,
                                                                        int8_t* c, size_t ldc) {
  const int32x4_t b0 = vld1q_s32(p->bias + n0), b1 = vld1q_s32(p->bias + n0 + 4);
  int32x4_t rows[2][2];
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t s01 = vpaddq_s32(acc[r][0], acc[r][1]), s23 = vpaddq_s32(acc[r][2], acc[r][3]);
    const int32x4_t s45 = vpaddq_s32(acc[r][4], acc[r][5]), s67 = vpaddq_s32(acc[r][6], acc[r][7]);
    rows[r][0] = vaddq_s32(vpaddq_s32(s01, s23), b0);
    rows[r][1] = vaddq_s32(vpaddq_s32(s45, s67), b1);
  }
  qs8_neon_store8_rows(rows, mr, p, n0, c, ldc);
}

/* Entry of a kernel that reads activations in place (qs8_direct_fn): n rows times `tiles`
 * consecutive NR-channel tiles, so the call and the kernel's setup are shared by the tiles. */
#define QS8_DEFINE_DIRECT_MR(body, name, n, NR)                                                      \
  static void name##_mr##n(size_t kc, size_t tiles, const int8_t* a, size_t lda, const void* w,     \
                           size_t w_stride, const qs8_tile_params* p, int8_t* c, size_t ldc) {      \
    const int8_t* wt = (const int8_t*)w;                                                            \
    for (size_t t = 0; t < tiles; t++, wt += w_stride) body(n, kc, a, lda, wt, p, t * NR, c + t * NR, ldc); \
  }
#define QS8_DEFINE_DIRECT_MR_TABLE(body, name, NR)                                                   \
  QS8_DEFINE_DIRECT_MR(body, name, 1, NR)                                                            \
  QS8_DEFINE_DIRECT_MR(body, name, 2, NR)                                                            \
  QS8_DEFINE_DIRECT_MR(body, name, 3, NR)                                                            \
  QS8_DEFINE_DIRECT_MR(body, name, 4, NR)                                                            \
  const qs8_direct_fn name[4] = {name##_mr1, name##_mr2, name##_mr3, name##_mr4};

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
