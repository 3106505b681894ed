/* AArch64 SDOT kernel, up to 4 rows x 16 channels, int4 weights kept packed, activations read in
 * place. Each 64-byte group holds two step quads of 16 channels: the first in the low nibbles,
 * the second in the high ones. b << 4 and b & 0xF0 are then 16 x the weights as int8 (one
 * instruction each, no sign-extending shift), the sums are 16 x the true ones, and one
 * ssra (bias + acc >> 4, exact) undoes it. 16 x |sum| < 2^31 needs k < 131072 (the plan
 * checks). kc is a multiple of 4: 16 steps per loop, then 8, then a 4-step tail on the low
 * nibbles. One row (GEMV) accumulates in assembly (qs8-qc4w-gemm-neondot-asm.h). */
/* Variant of ../qs8-gemm/qs8-gemm-4x16c4-neondot.c: one file per ISA and weight type. */
#include <string.h>

#include "qs8-gemm/qs8-gemm-requant-neon.h"
#include "qs8-qc4w-gemm/qs8-qc4w-gemm-neondot-asm.h"

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x16c4__neondot(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[4];
  int32x4_t acc[4][4];
  if (mr == 1) { /* GEMV: assembly accumulation */
    qs8_qc4w_neondot_1x16_acc(acc[0], a, wp, p->bias + n0, kc);
    qs8_neon_store16_rows(acc, 1, p, n0, c, ldc);
    return;
  }
  for (size_t r = 0; r < mr; r++) {
    ar[r] = a + r * lda;
    for (size_t j = 0; j < 4; j++) acc[r][j] = vdupq_n_s32(0);
  }
  const int8x16_t himask = vdupq_n_s8((int8_t)0xF0);
  size_t k = kc;
  for (; k >= 16; k -= 16) { /* two groups per activation load */
    int8x16_t va[4];
    for (size_t r = 0; r < mr; r++) {
      va[r] = vld1q_s8(ar[r]);
      ar[r] += 16;
    }
    for (size_t g = 0; g < 2; g++)
      for (size_t j = 0; j < 4; j++) {
        const int8x16_t b = vld1q_s8(wp + 64 * g + 16 * j);
        const int8x16_t lo = vshlq_n_s8(b, 4), hi = vandq_s8(b, himask);
        for (size_t r = 0; r < mr; r++) {
          acc[r][j] = vdotq_laneq_s32(acc[r][j], lo, va[r], 2 * g);
          acc[r][j] = vdotq_laneq_s32(acc[r][j], hi, va[r], 2 * g + 1);
        }
      }
    wp += 128;
  }
  if (k >= 8) {
    int8x8_t va[4];
    for (size_t r = 0; r < mr; r++) {
      va[r] = vld1_s8(ar[r]);
      ar[r] += 8;
    }
    for (size_t j = 0; j < 4; j++) {
      const int8x16_t b = vld1q_s8(wp + 16 * j);
      const int8x16_t lo = vshlq_n_s8(b, 4), hi = vandq_s8(b, himask);
      for (size_t r = 0; r < mr; r++) {
        acc[r][j] = vdotq_lane_s32(acc[r][j], lo, va[r], 0);
        acc[r][j] = vdotq_lane_s32(acc[r][j], hi, va[r], 1);
      }
    }
    wp += 64;
    k -= 8;
  }
  if (k != 0) { /* 4 steps left: the low nibbles of the last group */
    int8x8_t va[4];
    for (size_t r = 0; r < mr; r++) {
      int32_t q;
      memcpy(&q, ar[r], 4);
      va[r] = vreinterpret_s8_s32(vdup_n_s32(q));
    }
    for (size_t j = 0; j < 4; j++) {
      const int8x16_t lo = vshlq_n_s8(vld1q_s8(wp + 16 * j), 4);
      for (size_t r = 0; r < mr; r++) acc[r][j] = vdotq_lane_s32(acc[r][j], lo, va[r], 0);
    }
  }
  for (size_t j = 0; j < 4; j++) {
    const int32x4_t b = vld1q_s32(p->bias + n0 + 4 * j);
    for (size_t r = 0; r < mr; r++) acc[r][j] = vsraq_n_s32(b, acc[r][j], 4);
  }
  qs8_neon_store16_rows(acc, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR_TABLE(qs8_qc4w_gemm_4x16c4__neondot, qs8_qc4w_gemm_4x16c4_neondot, 16)
