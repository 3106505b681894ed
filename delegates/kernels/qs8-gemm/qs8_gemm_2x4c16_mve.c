/* qs8 GEMM micro-kernel for Armv8.1-M Helium (MVE, Cortex-M55/M85): 2 rows x 4 channels, 16
 * reduction steps per block (KR = 16, KPAD = 16). VMLADAVA multiplies 16 int8 pairs and adds
 * them to a 32-bit scalar accumulator: 8 of them per block give 128 multiply-adds. Padded
 * reduction steps have zero weights, so whatever the activation buffer holds there adds 0.
 * Requantization: qs8_requant_armsimd32.h (the M55 has the Armv7E-M DSP instructions too). */
#include <arm_mve.h>

#include "qs8_requant_armsimd32.h"
#include "qs8_ukernel.h"

static inline int8_t out1(int32_t acc, const qs8_tile_params* p, int j) {
  return qs8_requantize_fast(acc, p->mult[j], p->shift[j], p->rounding, p->c_zp, p->c_min, p->c_max);
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
  c[0] = out1(acc00, p, 0);
  c[1] = out1(acc01, p, 1);
  c[2] = out1(acc02, p, 2);
  c[3] = out1(acc03, p, 3);
  c[ldc] = out1(acc10, p, 0);
  c[ldc + 1] = out1(acc11, p, 1);
  c[ldc + 2] = out1(acc12, p, 2);
  c[ldc + 3] = out1(acc13, p, 3);
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
  c[0] = out1(acc0, p, 0);
  c[1] = out1(acc1, p, 1);
  c[2] = out1(acc2, p, 2);
  c[3] = out1(acc3, p, 3);
}

const qs8_ukernel_fn qs8_gemm_2x4c16_mve[2] = {qs8_gemm_1x4c16__mve, qs8_gemm_2x4c16__mve};
