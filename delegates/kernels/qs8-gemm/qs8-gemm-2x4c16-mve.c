/* qs8 GEMM micro-kernel for Armv8.1-M Helium (MVE, Cortex-M55/M85): 2 rows x 4 channels, 16
 * reduction steps per block (KR = 16, KPAD = 16). VMLADAVA multiplies 16 int8 pairs and adds
 * them to a 32-bit scalar accumulator: 8 of them per block give 128 multiply-adds. Padded
 * reduction steps have zero weights, so whatever the activation buffer holds there adds 0.
 * Requantization: four channels per vector (base/requant-mve.h) for CONV_2D's double rounding,
 * per lane (base/requant-armsimd32.h) for FULLY_CONNECTED's single rounding. */
/* Variant of qs8-gemm-1x4-scalar.c: one file per ISA, as in XNNPACK. */
#include <arm_mve.h>

#include "base/requant-armsimd32.h"
#include "base/requant-mve.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

/* Four channels of one row: double rounding (CONV_2D) on one vector, single rounding (FC) per lane. */
static inline void out4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const qs8_tile_params* p, int8_t* c) {
  if (p->rounding == 0) {
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    acc = vsetq_lane_s32(a3, acc, 3);
    const int32x4_t v = eq_requantize_mve(acc, vldrwq_s32(p->mult), vldrwq_s32(p->shift), p->c_zp, p->c_min,
                                           p->c_max);
    vstrbq_s32(c, v);
    return;
  }
  c[0] = eq_requantize_armsimd32(a0, p->mult[0], p->shift[0], 1, p->c_zp, p->c_min, p->c_max);
  c[1] = eq_requantize_armsimd32(a1, p->mult[1], p->shift[1], 1, p->c_zp, p->c_min, p->c_max);
  c[2] = eq_requantize_armsimd32(a2, p->mult[2], p->shift[2], 1, p->c_zp, p->c_min, p->c_max);
  c[3] = eq_requantize_armsimd32(a3, p->mult[3], p->shift[3], 1, p->c_zp, p->c_min, p->c_max);
}


static void qs8_gemm_2x4c16__mve(size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
                                 size_t ldc) {
  const int8_t* a0 = (const int8_t*)a;
  const int8_t* a1 = a0 + kc;
  const int8_t* wp = (const int8_t*)w;
  int32_t acc00 = p->bias[0], acc01 = p->bias[1], acc02 = p->bias[2], acc03 = p->bias[3];
  int32_t acc10 = p->bias[0], acc11 = p->bias[1], acc12 = p->bias[2], acc13 = p->bias[3];
  for (size_t k = 0; k < kc; k += 16) {
    const int8x16_t va0 = vldrbq_s8(a0), va1 = vldrbq_s8(a1);
    const int8x16_t w0 = vldrbq_s8(wp), w1 = vldrbq_s8(wp + 16), w2 = vldrbq_s8(wp + 32), w3 = vldrbq_s8(wp + 48);
    a0 += 16;
    a1 += 16;
    wp += 64;
    acc00 = vmladavaq_s8(acc00, va0, w0);
    acc01 = vmladavaq_s8(acc01, va0, w1);
    acc02 = vmladavaq_s8(acc02, va0, w2);
    acc03 = vmladavaq_s8(acc03, va0, w3);
    acc10 = vmladavaq_s8(acc10, va1, w0);
    acc11 = vmladavaq_s8(acc11, va1, w1);
    acc12 = vmladavaq_s8(acc12, va1, w2);
    acc13 = vmladavaq_s8(acc13, va1, w3);
  }
  out4(acc00, acc01, acc02, acc03, p, c);
  out4(acc10, acc11, acc12, acc13, p, c + ldc);
}

static void qs8_gemm_1x4c16__mve(size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
                                 size_t ldc) {
  (void)ldc;
  const int8_t* a0 = (const int8_t*)a;
  const int8_t* wp = (const int8_t*)w;
  int32_t acc0 = p->bias[0], acc1 = p->bias[1], acc2 = p->bias[2], acc3 = p->bias[3];
  for (size_t k = 0; k < kc; k += 16) {
    const int8x16_t va = vldrbq_s8(a0);
    acc0 = vmladavaq_s8(acc0, va, vldrbq_s8(wp));
    acc1 = vmladavaq_s8(acc1, va, vldrbq_s8(wp + 16));
    acc2 = vmladavaq_s8(acc2, va, vldrbq_s8(wp + 32));
    acc3 = vmladavaq_s8(acc3, va, vldrbq_s8(wp + 48));
    a0 += 16;
    wp += 64;
  }
  out4(acc0, acc1, acc2, acc3, p, c);
}

const qs8_ukernel_fn qs8_gemm_2x4c16_mve[2] = {qs8_gemm_1x4c16__mve, qs8_gemm_2x4c16__mve};
