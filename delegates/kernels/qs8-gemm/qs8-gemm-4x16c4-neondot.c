/* AArch64 SDOT kernel (FEAT_DotProd), up to 4 rows x 16 channels, int8 weights, activations read
 * in place (rows a + r * lda, no per-call packing: for 1x1 convs and FC they are the input
 * tensor's rows). Weights come in blocks of 4 steps x 16 channels (four q registers); each
 * by-lane sdot adds 4 products of one activation quad into 4 channels. 4 rows and 1 row (most
 * calls) accumulate in assembly (qs8-gemm-neondot-asm.h), 2 and 3 rows with intrinsics. kc is a multiple of 4:
 * 16 steps per loop, then an 8- and a 4-step tail, so nothing is read past a row's kc bytes. */
#include <string.h>

#include "qs8-gemm/qs8-gemm-neondot-asm.h"
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QS8_DOT16_Q(va, l)                                                        \
  do {                                                                            \
    const int8x16_t w0 = vld1q_s8(wp), w1 = vld1q_s8(wp + 16);                    \
    const int8x16_t w2 = vld1q_s8(wp + 32), w3 = vld1q_s8(wp + 48);               \
    wp += 64;                                                                     \
    for (size_t r = 0; r < mr; r++) {                                             \
      acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, va[r], l);                       \
      acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, va[r], l);                       \
      acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, va[r], l);                       \
      acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, va[r], l);                       \
    }                                                                             \
  } while (0)

#define QS8_DOT16_D(va, l)                                                        \
  do {                                                                            \
    const int8x16_t w0 = vld1q_s8(wp), w1 = vld1q_s8(wp + 16);                    \
    const int8x16_t w2 = vld1q_s8(wp + 32), w3 = vld1q_s8(wp + 48);               \
    wp += 64;                                                                     \
    for (size_t r = 0; r < mr; r++) {                                             \
      acc[r][0] = vdotq_lane_s32(acc[r][0], w0, va[r], l);                        \
      acc[r][1] = vdotq_lane_s32(acc[r][1], w1, va[r], l);                        \
      acc[r][2] = vdotq_lane_s32(acc[r][2], w2, va[r], l);                        \
      acc[r][3] = vdotq_lane_s32(acc[r][3], w3, va[r], l);                        \
    }                                                                             \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x16c4__neondot(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[4];
  int32x4_t acc[4][4];
  for (size_t r = 0; r < mr; r++) ar[r] = a + r * lda;
  if (mr == 4 || mr == 1) { /* the usual row counts: assembly accumulation */
    if (mr == 4)
      qs8_neondot_4x16_acc(acc, a, lda, wp, p->bias + n0, kc);
    else
      qs8_neondot_1x16_acc(acc[0], a, wp, p->bias + n0, kc);
    qs8_neon_store16_rows(acc, mr, p, n0, c, ldc);
    return;
  }
  for (size_t j = 0; j < 4; j++) {
    const int32x4_t b = vld1q_s32(p->bias + n0 + 4 * j);
    for (size_t r = 0; r < mr; r++) acc[r][j] = b;
  }
  size_t k = kc;
  for (; k >= 16; k -= 16) {
    int8x16_t va[4];
    for (size_t r = 0; r < mr; r++) {
      va[r] = vld1q_s8(ar[r]);
      ar[r] += 16;
    }
    QS8_DOT16_Q(va, 0); QS8_DOT16_Q(va, 1); QS8_DOT16_Q(va, 2); QS8_DOT16_Q(va, 3);
  }
  if (k >= 8) {
    int8x8_t vb[4];
    for (size_t r = 0; r < mr; r++) {
      vb[r] = vld1_s8(ar[r]);
      ar[r] += 8;
    }
    QS8_DOT16_D(vb, 0); QS8_DOT16_D(vb, 1);
    k -= 8;
  }
  if (k != 0) { /* 4 steps left */
    int8x8_t vb[4];
    for (size_t r = 0; r < mr; r++) {
      int32_t q;
      memcpy(&q, ar[r], 4);
      vb[r] = vreinterpret_s8_s32(vdup_n_s32(q));
    }
    QS8_DOT16_D(vb, 0);
  }
  qs8_neon_store16_rows(acc, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR_TABLE(qs8_gemm_4x16c4__neondot, qs8_gemm_4x16c4_neondot, 16)

/* The first 8 channels of a tile (a plan's last tile with n % 16 in 1..8: 24, 40, 72 channels):
 * the packed weights of channels 8-15 are zeros, so half the dot products and weight loads of the
 * full tile. 8 accumulators per 4 rows: the intrinsics do not spill here. */
#define QS8_DOT8_Q(va, l)                                                         \
  do {                                                                            \
    const int8x16_t w0 = vld1q_s8(wp), w1 = vld1q_s8(wp + 16);                    \
    wp += 64;                                                                     \
    for (size_t r = 0; r < mr; r++) {                                             \
      acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, va[r], l);                       \
      acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, va[r], l);                       \
    }                                                                             \
  } while (0)

#define QS8_DOT8_D(va, l)                                                         \
  do {                                                                            \
    const int8x16_t w0 = vld1q_s8(wp), w1 = vld1q_s8(wp + 16);                    \
    wp += 64;                                                                     \
    for (size_t r = 0; r < mr; r++) {                                             \
      acc[r][0] = vdotq_lane_s32(acc[r][0], w0, va[r], l);                        \
      acc[r][1] = vdotq_lane_s32(acc[r][1], w1, va[r], l);                        \
    }                                                                             \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x16c4__neondot_half(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[4];
  int32x4_t acc[4][2];
  const int32x4_t b0 = vld1q_s32(p->bias + n0), b1 = vld1q_s32(p->bias + n0 + 4);
  for (size_t r = 0; r < mr; r++) {
    ar[r] = a + r * lda;
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  size_t k = kc;
  for (; k >= 16; k -= 16) {
    int8x16_t va[4];
    for (size_t r = 0; r < mr; r++) {
      va[r] = vld1q_s8(ar[r]);
      ar[r] += 16;
    }
    QS8_DOT8_Q(va, 0); QS8_DOT8_Q(va, 1); QS8_DOT8_Q(va, 2); QS8_DOT8_Q(va, 3);
  }
  if (k >= 8) {
    int8x8_t vb[4];
    for (size_t r = 0; r < mr; r++) {
      vb[r] = vld1_s8(ar[r]);
      ar[r] += 8;
    }
    QS8_DOT8_D(vb, 0); QS8_DOT8_D(vb, 1);
    k -= 8;
  }
  if (k != 0) { /* 4 steps left */
    int8x8_t vb[4];
    for (size_t r = 0; r < mr; r++) {
      int32_t q;
      memcpy(&q, ar[r], 4);
      vb[r] = vreinterpret_s8_s32(vdup_n_s32(q));
    }
    QS8_DOT8_D(vb, 0);
  }
  qs8_neon_store8_rows(acc, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR_TABLE(qs8_gemm_4x16c4__neondot_half, qs8_gemm_4x16c4_neondot_half, 16)
