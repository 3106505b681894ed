/* AArch64 SDOT kernel (FEAT_DotProd), up to 4 rows x 8 channels, int8 weights. Weights come in
 * blocks of 4 steps x 4 channels (one q register); each sdot by-lane adds 4 products of one
 * activation quad into 4 channels. */
/* Variant of qs8-gemm-4x8-neon.c: one file per ISA and weight type, as in XNNPACK. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QS8_DOT_QUAD(l)                                                   \
  do {                                                                    \
    const int8x16_t w0 = vld1q_s8(wp);                                    \
    const int8x16_t w1 = vld1q_s8(wp + 16);                               \
    wp += 32;                                                             \
    for (size_t r = 0; r < mr; r++) {                                     \
      acc_lo[r] = vdotq_laneq_s32(acc_lo[r], w0, va[r], l);               \
      acc_hi[r] = vdotq_laneq_s32(acc_hi[r], w1, va[r], l);               \
    }                                                                     \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x8c4__neondot(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const int8_t* a8 = (const int8_t*)a;
  const int8_t* wp = (const int8_t*)w;
  int32x4_t acc_lo[4], acc_hi[4];
  for (size_t r = 0; r < mr; r++) {
    acc_lo[r] = vld1q_s32(p->bias);
    acc_hi[r] = vld1q_s32(p->bias + 4);
  }
  for (size_t k = 0; k < kc; k += 16) {
    int8x16_t va[4];
    for (size_t r = 0; r < mr; r++) va[r] = vld1q_s8(a8 + r * kc + k);
    QS8_DOT_QUAD(0); QS8_DOT_QUAD(1); QS8_DOT_QUAD(2); QS8_DOT_QUAD(3);
  }
  for (size_t r = 0; r < mr; r++) qs8_neon_store8(acc_lo[r], acc_hi[r], p, c + r * ldc);
}

QS8_DEFINE_MR_TABLE(qs8_gemm_4x8c4__neondot, qs8_gemm_4x8c4_neondot)
