/* AArch64 baseline NEON kernel (no dot product: Cortex-A72 class), up to 2 rows x 8 channels,
 * int8 weights, activations read in place. Weights come in blocks of 16 steps per channel; for
 * each (row, channel) smull + smlal2 form 16 products in eight int16 lanes and sadalp adds the
 * lane pairs into an int32x4 accumulator, whose lanes are summed once at the end (addp). Two
 * products fit int16 because the plan only picks this kernel when no weight is -128
 * (|a * w| <= 128 * 127). kc is a multiple of 8: an 8-step tail uses the low half of a block.
 * Two rows accumulate in assembly (qs8-gemm-neon-c16-asm.h). */
#include "qs8-gemm/qs8-gemm-neon-c16-asm.h"
#include "qs8-gemm/qs8-gemm-requant-neon.h"

static inline __attribute__((always_inline)) void qs8_gemm_2x8c16__neon(
    const size_t mr, size_t kc, const int8_t* a, size_t lda, const void* w,
    const qs8_tile_params* p, size_t n0, int8_t* c, size_t ldc) {
  const int8_t* wp = (const int8_t*)w;
  const int8_t* ar[2] = {a, a + (mr > 1 ? lda : 0)};
  int32x4_t acc[2][8];
  if (mr == 2) {
    qs8_neon_c16_2x8_acc(acc, ar[0], ar[1], wp, kc);
  } else {
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < 8; j++) acc[r][j] = vdupq_n_s32(0);
    size_t k = kc;
    for (; k >= 16; k -= 16) {
      int8x16_t va[2];
      for (size_t r = 0; r < mr; r++) {
        va[r] = vld1q_s8(ar[r]);
        ar[r] += 16;
      }
      for (size_t j = 0; j < 8; j++) {
        const int8x16_t wj = vld1q_s8(wp + 16 * j);
        for (size_t r = 0; r < mr; r++) {
          const int16x8_t prod = vmlal_high_s8(vmull_s8(vget_low_s8(va[r]), vget_low_s8(wj)), va[r], wj);
          acc[r][j] = vpadalq_s16(acc[r][j], prod);
        }
      }
      wp += 128;
    }
    if (k != 0) { /* 8 steps left: the low half of the last (zero-padded) block */
      int8x8_t va[2];
      for (size_t r = 0; r < mr; r++) va[r] = vld1_s8(ar[r]);
      for (size_t j = 0; j < 8; j++) {
        const int8x8_t wj = vld1_s8(wp + 16 * j);
        for (size_t r = 0; r < mr; r++) acc[r][j] = vpadalq_s16(acc[r][j], vmull_s8(va[r], wj));
      }
    }
  }
  qs8_neon_store_2x8c16(acc, mr, p, n0, c, ldc);
}

QS8_DEFINE_DIRECT_MR(qs8_gemm_2x8c16__neon, qs8_gemm_2x8c16_neon, 1, 8)
QS8_DEFINE_DIRECT_MR(qs8_gemm_2x8c16__neon, qs8_gemm_2x8c16_neon, 2, 8)
const qs8_direct_fn qs8_gemm_2x8c16_neon[2] = {qs8_gemm_2x8c16_neon_mr1, qs8_gemm_2x8c16_neon_mr2};
