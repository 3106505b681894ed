/* AArch64 SDOT kernel, up to 4 rows x 8 channels, int4 weights kept packed: each 16-byte group
 * holds one step quad, channels 0-3 in the low nibbles and 4-7 in the high ones, so two shifts
 * produce both sdot weight registers. */
/* Variant of ../qs8-gemm/qs8-gemm-4x16c4-neondot.c: one file per ISA and weight type. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QC4W_DOT_QUAD(l)                                                  \
  do {                                                                    \
    const int8x16_t b = vld1q_s8(wp);                                     \
    wp += 16;                                                             \
    const int8x16_t w0 = vshrq_n_s8(vshlq_n_s8(b, 4), 4);                 \
    const int8x16_t w1 = vshrq_n_s8(b, 4);                                \
    for (size_t r = 0; r < mr; r++) {                                     \
      acc_lo[r] = vdotq_laneq_s32(acc_lo[r], w0, va[r], l);               \
      acc_hi[r] = vdotq_laneq_s32(acc_hi[r], w1, va[r], l);               \
    }                                                                     \
  } while (0)

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x8c4__neondot(
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
    QC4W_DOT_QUAD(0); QC4W_DOT_QUAD(1); QC4W_DOT_QUAD(2); QC4W_DOT_QUAD(3);
  }
  for (size_t r = 0; r < mr; r++) qs8_neon_store8(acc_lo[r], acc_hi[r], p, c + r * ldc);
}

QS8_DEFINE_MR_TABLE(qs8_qc4w_gemm_4x8c4__neondot, qs8_qc4w_gemm_4x8c4_neondot)
