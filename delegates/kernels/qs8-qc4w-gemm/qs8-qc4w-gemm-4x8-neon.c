/* AArch64 baseline NEON kernel, up to 4 rows x 8 channels, int4 weights kept packed: each
 * 8-byte group holds step k in the low nibbles and step k + 1 in the high ones; the nibbles are
 * sign-extended with shifts, widened to int16 and multiplied with smlal by-lane. */
/* Variant of ../qs8-gemm/qs8-gemm-4x8-neon.c: one file per ISA and weight type, as in XNNPACK. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

#define QC4W_NEON_STEP2(l)                                                    \
  do {                                                                        \
    const int8x8_t b = vld1_s8(wp);                                           \
    wp += 8;                                                                  \
    const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(b, 4), 4));             \
    const int16x8_t w1 = vmovl_s8(vshr_n_s8(b, 4));                           \
    for (size_t r = 0; r < mr; r++) {                                         \
      acc_lo[r] = vmlal_laneq_s16(acc_lo[r], vget_low_s16(w0), va[r], l);     \
      acc_hi[r] = vmlal_high_laneq_s16(acc_hi[r], w0, va[r], l);              \
      acc_lo[r] = vmlal_laneq_s16(acc_lo[r], vget_low_s16(w1), va[r], l + 1); \
      acc_hi[r] = vmlal_high_laneq_s16(acc_hi[r], w1, va[r], l + 1);          \
    }                                                                         \
  } while (0)

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x8__neon(
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
    QC4W_NEON_STEP2(0); QC4W_NEON_STEP2(2); QC4W_NEON_STEP2(4); QC4W_NEON_STEP2(6);
  }
  for (size_t r = 0; r < mr; r++) qs8_neon_store8(acc_lo[r], acc_hi[r], p, c + r * ldc);
}

QS8_DEFINE_MR_TABLE(qs8_qc4w_gemm_4x8__neon, qs8_qc4w_gemm_4x8_neon)
