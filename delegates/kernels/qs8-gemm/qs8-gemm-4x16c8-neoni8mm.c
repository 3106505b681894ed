/* AArch64 SMMLA kernel (FEAT_I8MM), up to 4 rows x 16 channels, int8 weights, activations read
 * in place (rows a + r * lda, no per-call packing). Weights come in blocks of 8 steps x 16
 * channels: q register i holds channels 2i and 2i+1. Each smmla multiplies a row pair (8 steps
 * each, joined from two row loads by one zip) by a channel pair into a 2x2 int32 tile; the tiles
 * are unzipped into rows once, before requantization. kc is a multiple of 8; an odd last row
 * pairs with itself and its duplicate is dropped. 3-4 rows and 1 row accumulate in assembly
 * (qs8-gemm-neoni8mm-asm.h), 2 rows with intrinsics. */
#include "qs8-gemm/qs8-gemm-neoni8mm-asm.h"
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QS8_MMLA16(va)                                                                      \
  do {                                                                                      \
    int8x16_t wq[8];                                                                        \
    for (size_t q = 0; q < 8; q++) wq[q] = vld1q_s8(wp + 16 * q);                           \
    wp += 128;                                                                              \
    for (size_t pr = 0; pr < pairs; pr++)                                                   \
      for (size_t q = 0; q < 8; q++) acc[pr][q] = vmmlaq_s32(acc[pr][q], va[pr], wq[q]);    \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x16c8__neoni8mm(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const size_t pairs = (mr + 1) / 2;
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[4];
  for (size_t r = 0; r < 4; r++) ar[r] = a + (r < mr ? r : mr - 1) * lda;
  int32x4_t acc[2][8]; /* [row pair][channel pair]: (r0 c0, r0 c1, r1 c0, r1 c1) */
  if (mr >= 3) {
    qs8_neoni8mm_4x16_acc(acc, ar, wp, p->bias + n0, kc);
  } else if (mr == 1) {
    qs8_neoni8mm_1x16_acc(acc[0], ar[0], wp, p->bias + n0, kc);
  } else {
    for (size_t q = 0; q < 4; q++) {
      const int64x2_t b = vreinterpretq_s64_s32(vld1q_s32(p->bias + n0 + 4 * q));
      const int32x4_t b01 = vreinterpretq_s32_s64(vdupq_laneq_s64(b, 0));
      const int32x4_t b23 = vreinterpretq_s32_s64(vdupq_laneq_s64(b, 1));
      for (size_t pr = 0; pr < pairs; pr++) {
        acc[pr][2 * q] = b01;
        acc[pr][2 * q + 1] = b23;
      }
    }
    size_t k = kc;
    for (; k >= 16; k -= 16) {
      int64x2_t v[4];
      for (size_t r = 0; r < 2 * pairs; r++) {
        v[r] = vreinterpretq_s64_s8(vld1q_s8(ar[r]));
        ar[r] += 16;
      }
      int8x16_t va0[2], va1[2];
      for (size_t pr = 0; pr < pairs; pr++) {
        va0[pr] = vreinterpretq_s8_s64(vzip1q_s64(v[2 * pr], v[2 * pr + 1]));
        va1[pr] = vreinterpretq_s8_s64(vzip2q_s64(v[2 * pr], v[2 * pr + 1]));
      }
      QS8_MMLA16(va0);
      QS8_MMLA16(va1);
    }
    if (k != 0) { /* 8 steps left */
      int8x16_t va[2];
      for (size_t pr = 0; pr < pairs; pr++) va[pr] = vcombine_s8(vld1_s8(ar[2 * pr]), vld1_s8(ar[2 * pr + 1]));
      QS8_MMLA16(va);
    }
  }
  int32x4_t rows[4][4];
  for (size_t pr = 0; pr < pairs; pr++)
    for (size_t j = 0; j < 4; j++) {
      const int64x2_t t0 = vreinterpretq_s64_s32(acc[pr][2 * j]);
      const int64x2_t t1 = vreinterpretq_s64_s32(acc[pr][2 * j + 1]);
      rows[2 * pr][j] = vreinterpretq_s32_s64(vzip1q_s64(t0, t1));
      rows[2 * pr + 1][j] = vreinterpretq_s32_s64(vzip2q_s64(t0, t1));
    }
  qs8_neon_store16_rows(rows, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR_TABLE(qs8_gemm_4x16c8__neoni8mm, qs8_gemm_4x16c8_neoni8mm, 16)

/* The first 8 channels of a tile (a plan's last tile with n % 16 in 1..8): the packed weights of
 * channels 8-15 are zeros, so half the smmla and weight loads of the full tile; 8 accumulators,
 * intrinsics for every row count. Odd row counts pair the last row with itself. */
#define QS8_MMLA8(va)                                                                       \
  do {                                                                                      \
    int8x16_t wq[4];                                                                        \
    for (size_t q = 0; q < 4; q++) wq[q] = vld1q_s8(wp + 16 * q);                           \
    wp += 128;                                                                              \
    for (size_t pr = 0; pr < pairs; pr++)                                                   \
      for (size_t q = 0; q < 4; q++) acc[pr][q] = vmmlaq_s32(acc[pr][q], va[pr], wq[q]);    \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x16c8__neoni8mm_half(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const size_t pairs = (mr + 1) / 2;
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[4];
  for (size_t r = 0; r < 4; r++) ar[r] = a + (r < mr ? r : mr - 1) * lda;
  int32x4_t acc[2][4]; /* [row pair][channel pair] */
  for (size_t q = 0; q < 2; q++) {
    const int64x2_t b = vreinterpretq_s64_s32(vld1q_s32(p->bias + n0 + 4 * q));
    const int32x4_t b01 = vreinterpretq_s32_s64(vdupq_laneq_s64(b, 0));
    const int32x4_t b23 = vreinterpretq_s32_s64(vdupq_laneq_s64(b, 1));
    for (size_t pr = 0; pr < pairs; pr++) {
      acc[pr][2 * q] = b01;
      acc[pr][2 * q + 1] = b23;
    }
  }
  size_t k = kc;
  for (; k >= 16; k -= 16) {
    int64x2_t v[4];
    for (size_t r = 0; r < 2 * pairs; r++) {
      v[r] = vreinterpretq_s64_s8(vld1q_s8(ar[r]));
      ar[r] += 16;
    }
    int8x16_t va0[2], va1[2];
    for (size_t pr = 0; pr < pairs; pr++) {
      va0[pr] = vreinterpretq_s8_s64(vzip1q_s64(v[2 * pr], v[2 * pr + 1]));
      va1[pr] = vreinterpretq_s8_s64(vzip2q_s64(v[2 * pr], v[2 * pr + 1]));
    }
    QS8_MMLA8(va0);
    QS8_MMLA8(va1);
  }
  if (k != 0) { /* 8 steps left */
    int8x16_t va[2];
    for (size_t pr = 0; pr < pairs; pr++) va[pr] = vcombine_s8(vld1_s8(ar[2 * pr]), vld1_s8(ar[2 * pr + 1]));
    QS8_MMLA8(va);
  }
  int32x4_t rows[4][2];
  for (size_t pr = 0; pr < pairs; pr++)
    for (size_t j = 0; j < 2; j++) {
      const int64x2_t t0 = vreinterpretq_s64_s32(acc[pr][2 * j]);
      const int64x2_t t1 = vreinterpretq_s64_s32(acc[pr][2 * j + 1]);
      rows[2 * pr][j] = vreinterpretq_s32_s64(vzip1q_s64(t0, t1));
      rows[2 * pr + 1][j] = vreinterpretq_s32_s64(vzip2q_s64(t0, t1));
    }
  qs8_neon_store8_rows(rows, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR_TABLE(qs8_gemm_4x16c8__neoni8mm_half, qs8_gemm_4x16c8_neoni8mm_half, 16)
