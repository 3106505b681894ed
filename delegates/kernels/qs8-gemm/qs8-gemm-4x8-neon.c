/* AArch64 baseline NEON kernel (no dot product), up to 4 rows x 8 channels, int8 weights.
 * Activations and weights are widened to int16 and multiplied with smlal by-lane: 8 steps of
 * one row per activation load. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QS8_NEON_STEP(l)                                                     \
  do {                                                                       \
    const int16x8_t w16 = vmovl_s8(vld1_s8(wp));                             \
    wp += 8;                                                                 \
    for (size_t r = 0; r < mr; r++) {                                        \
      acc_lo[r] = vmlal_laneq_s16(acc_lo[r], vget_low_s16(w16), va[r], l);   \
      acc_hi[r] = vmlal_high_laneq_s16(acc_hi[r], w16, va[r], l);            \
    }                                                                        \
  } while (0)

static inline __attribute__((always_inline)) void qs8_gemm_4x8__neon(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const int8_t* a8 = (const int8_t*)a;
  const int8_t* wp = (const int8_t*)w;
  int32x4_t acc_lo[4], acc_hi[4];
  for (size_t r = 0; r < mr; r++) {
    acc_lo[r] = vld1q_s32(p->bias);
    acc_hi[r] = vld1q_s32(p->bias + 4);
  }
  for (size_t k = 0; k < kc; k += 8) {
    int16x8_t va[4];
    for (size_t r = 0; r < mr; r++) va[r] = vmovl_s8(vld1_s8(a8 + r * kc + k));
    QS8_NEON_STEP(0); QS8_NEON_STEP(1); QS8_NEON_STEP(2); QS8_NEON_STEP(3);
    QS8_NEON_STEP(4); QS8_NEON_STEP(5); QS8_NEON_STEP(6); QS8_NEON_STEP(7);
  }
  for (size_t r = 0; r < mr; r++) qs8_neon_store8(acc_lo[r], acc_hi[r], p, c + r * ldc);
}

QS8_DEFINE_MR_TABLE(qs8_gemm_4x8__neon, qs8_gemm_4x8_neon)
