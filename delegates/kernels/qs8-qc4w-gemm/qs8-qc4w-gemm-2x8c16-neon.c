/* AArch64 baseline NEON kernel (Cortex-A72 class), up to 2 rows x 8 channels, int4 weights kept
 * packed, activations read in place. Each 64-byte group is one 16-step block: byte i holds
 * channel i / 16 (0-3) in its low nibble and channel 4 + i / 16 in its high one (shl + sshr /
 * sshr unpack them to int8). Two blocks per loop: per (row, channel) one smull + three smlal
 * put four products of |a * w| <= 128 * 8 in each int16 lane (at most 4096), and sadalp adds
 * the lanes into int32. kc is a multiple of 8. */
/* Variant of ../qs8-gemm/qs8-gemm-2x8c16-neon.c: one file per ISA and weight type. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

/* The 8 channels' int8 weights of one 16-step block. */
static inline __attribute__((always_inline)) void unpack_block(const int8_t* g, int8x16_t wv[8]) {
  for (size_t j = 0; j < 4; j++) {
    const int8x16_t b = vld1q_s8(g + 16 * j);
    wv[j] = vshrq_n_s8(vshlq_n_s8(b, 4), 4);
    wv[j + 4] = vshrq_n_s8(b, 4);
  }
}

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_2x8c16__neon(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[2] = {a, a + (mr > 1 ? lda : 0)};
  int32x4_t acc[2][8];
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < 8; j++) acc[r][j] = vdupq_n_s32(0);
  size_t k = kc;
  for (; k >= 32; k -= 32) {
    int8x16_t v0[2], v1[2], w0[8], w1[8];
    for (size_t r = 0; r < mr; r++) {
      v0[r] = vld1q_s8(ar[r]);
      v1[r] = vld1q_s8(ar[r] + 16);
      ar[r] += 32;
    }
    unpack_block(wp, w0);
    unpack_block(wp + 64, w1);
    wp += 128;
    for (size_t j = 0; j < 8; j++)
      for (size_t r = 0; r < mr; r++) {
        int16x8_t prod = vmull_s8(vget_low_s8(v0[r]), vget_low_s8(w0[j]));
        prod = vmlal_high_s8(prod, v0[r], w0[j]);
        prod = vmlal_s8(prod, vget_low_s8(v1[r]), vget_low_s8(w1[j]));
        prod = vmlal_high_s8(prod, v1[r], w1[j]);
        acc[r][j] = vpadalq_s16(acc[r][j], prod);
      }
  }
  if (k != 0) { /* 8, 16 or 24 steps: one block, then half of the next */
    int8x16_t w0[8], w1[8];
    unpack_block(wp, w0);
    if (k > 16) unpack_block(wp + 64, w1);
    for (size_t j = 0; j < 8; j++)
      for (size_t r = 0; r < mr; r++) {
        int16x8_t prod = vmull_s8(vld1_s8(ar[r]), vget_low_s8(w0[j]));
        if (k >= 16) prod = vmlal_s8(prod, vld1_s8(ar[r] + 8), vget_high_s8(w0[j]));
        if (k > 16) prod = vmlal_s8(prod, vld1_s8(ar[r] + 16), vget_low_s8(w1[j]));
        acc[r][j] = vpadalq_s16(acc[r][j], prod);
      }
  }
  qs8_neon_store_2x8c16(acc, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR(qs8_qc4w_gemm_2x8c16__neon, qs8_qc4w_gemm_2x8c16_neon, 1, 8)
QS8_DEFINE_DIRECT_MR(qs8_qc4w_gemm_2x8c16__neon, qs8_qc4w_gemm_2x8c16_neon, 2, 8)
const qs8_direct_fn qs8_qc4w_gemm_2x8c16_neon[2] = {qs8_qc4w_gemm_2x8c16_neon_mr1, qs8_qc4w_gemm_2x8c16_neon_mr2};
