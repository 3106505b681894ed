/* Portable C reference kernel: 1 row x 4 channels, int4 weights kept packed (KR = 1, KPAD = 2,
 * G = 8: byte j of a group holds channel j at step k in its low nibble, step k + 1 in its high). */
/* Variant of ../qs8-gemm/qs8-gemm-1x4-scalar.c: one file per ISA and weight type, as in XNNPACK. */
#include "base/int4.h"
#include "base/requant.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

static void qs8_qc4w_gemm_1x4__scalar(size_t kc, const void* a, const void* w,
                                  const qs8_tile_params* p, int8_t* c, size_t ldc) {
  (void)ldc;
  const int8_t* a0 = (const int8_t*)a;
  const uint8_t* wp = (const uint8_t*)w;
  uint32_t acc[4] = {(uint32_t)p->bias[0], (uint32_t)p->bias[1], (uint32_t)p->bias[2],
                     (uint32_t)p->bias[3]};
  for (size_t k = 0; k < kc; k += 2) {
    const int32_t av0 = a0[k], av1 = a0[k + 1];
    for (int j = 0; j < 4; j++)
      acc[j] += (uint32_t)(av0 * eq_int4_lo(wp[j]) + av1 * eq_int4_hi(wp[j]));
    wp += 4;
  }
  for (int j = 0; j < 4; j++)
    c[j] = p->rounding == QS8_REQUANT_FP32
               ? (int8_t)eq_requant_fp32((int32_t)acc[j], p->scale[j], p->c_zp, p->c_min, p->c_max)
               : eq_requantize((int32_t)acc[j], p->mult[j], p->shift[j], p->rounding, p->c_zp, p->c_min,
                               p->c_max);
}

const qs8_ukernel_fn qs8_qc4w_gemm_1x4_scalar[1] = {qs8_qc4w_gemm_1x4__scalar};
