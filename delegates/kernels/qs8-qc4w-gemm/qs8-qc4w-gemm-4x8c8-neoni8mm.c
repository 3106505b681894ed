/* AArch64 SMMLA kernel, up to 4 rows x 8 channels, int4 weights kept packed: each 32-byte group
 * holds one 8-step block of 8 channels; its low nibbles are channels 0-3, its high nibbles
 * channels 4-7, so two loads and two shift pairs give the four smmla weight registers. */
/* Variant of ../qs8-gemm/qs8-gemm-4x8c8-neoni8mm.c: one file per ISA and weight type, as in XNNPACK. */
#include "qs8-gemm/qs8-gemm-requant-neon.h"

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x8c8__neoni8mm(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const size_t pairs = (mr + 1) / 2;
  const int8_t* a8 = (const int8_t*)a;
  const int8_t* wp = (const int8_t*)w;
  int32x4_t acc[2][4];
  for (size_t q = 0; q < 4; q++) {
    const int32x2_t b = vld1_s32(p->bias + 2 * q);
    for (size_t pr = 0; pr < pairs; pr++) acc[pr][q] = vcombine_s32(b, b);
  }
  for (size_t k = 0; k < kc; k += 8) {
    const int8x16_t b0 = vld1q_s8(wp), b1 = vld1q_s8(wp + 16);
    wp += 32;
    int8x16_t wq[4];
    wq[0] = vshrq_n_s8(vshlq_n_s8(b0, 4), 4);
    wq[1] = vshrq_n_s8(vshlq_n_s8(b1, 4), 4);
    wq[2] = vshrq_n_s8(b0, 4);
    wq[3] = vshrq_n_s8(b1, 4);
    for (size_t pr = 0; pr < pairs; pr++) {
      const int8x16_t va = vld1q_s8(a8 + pr * 2 * kc + 2 * k);
      for (size_t q = 0; q < 4; q++) acc[pr][q] = vmmlaq_s32(acc[pr][q], va, wq[q]);
    }
  }
  for (size_t pr = 0; pr < pairs; pr++) {
    const int64x2_t t0 = vreinterpretq_s64_s32(acc[pr][0]), t1 = vreinterpretq_s64_s32(acc[pr][1]);
    const int64x2_t t2 = vreinterpretq_s64_s32(acc[pr][2]), t3 = vreinterpretq_s64_s32(acc[pr][3]);
    qs8_neon_store8(vreinterpretq_s32_s64(vzip1q_s64(t0, t1)),
                    vreinterpretq_s32_s64(vzip1q_s64(t2, t3)), p, c + 2 * pr * ldc);
    if (2 * pr + 1 < mr)
      qs8_neon_store8(vreinterpretq_s32_s64(vzip2q_s64(t0, t1)),
                      vreinterpretq_s32_s64(vzip2q_s64(t2, t3)), p, c + (2 * pr + 1) * ldc);
  }
}

QS8_DEFINE_MR_TABLE(qs8_qc4w_gemm_4x8c8__neoni8mm, qs8_qc4w_gemm_4x8c8_neoni8mm)
