/* qs8 GEMM micro-kernel for Armv7E-M (Cortex-M4/M7/M33/M55 DSP extension): 2 rows x 2 channels,
 * 4 reduction steps per block (KR = 4, KPAD = 4). Each 32-bit load of activations or weights
 * is split by SXTB16 into its even and odd bytes as int16 pairs; SMLAD multiplies both pairs and
 * accumulates: 8 SMLAD per block give 16 multiply-adds. Requantization: base/requant-armsimd32.h. */
/* Variant of qs8-gemm-1x4-scalar.c: one file per ISA, as in XNNPACK. */
#include "base/armsimd32.h"
#include "base/requant-armsimd32.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

static inline int8_t out1(uint32_t acc, const qs8_tile_params* p, int j) {
  return eq_requantize_armsimd32((int32_t)acc, p->mult[j], p->shift[j], p->rounding, p->c_zp, p->c_min, p->c_max);
}

static void qs8_gemm_2x2c4__armsimd32(size_t kc, const void* a, const void* w, const qs8_tile_params* p,
                                      int8_t* c, size_t ldc) {
  const uint8_t* a0 = (const uint8_t*)a;
  const uint8_t* a1 = a0 + kc;
  const uint8_t* const a0_end = a1;
  const uint8_t* wp = (const uint8_t*)w;
  int32_t acc00 = p->bias[0], acc01 = p->bias[1], acc10 = p->bias[0], acc11 = p->bias[1];
  while (a0 != a0_end) {
    const uint32_t va0 = eq_load32(a0), va1 = eq_load32(a1);
    const uint32_t w0 = eq_load32(wp), w1 = eq_load32(wp + 4);
    a0 += 4;
    a1 += 4;
    wp += 8;
    const uint32_t a0e = eq_sxtb16(va0), a0o = eq_sxtb16_ror8(va0);
    const uint32_t a1e = eq_sxtb16(va1), a1o = eq_sxtb16_ror8(va1);
    const uint32_t w0e = eq_sxtb16(w0), w0o = eq_sxtb16_ror8(w0);
    const uint32_t w1e = eq_sxtb16(w1), w1o = eq_sxtb16_ror8(w1);
    acc00 = eq_smlad(a0e, w0e, acc00);
    acc01 = eq_smlad(a0e, w1e, acc01);
    acc10 = eq_smlad(a1e, w0e, acc10);
    acc11 = eq_smlad(a1e, w1e, acc11);
    acc00 = eq_smlad(a0o, w0o, acc00);
    acc01 = eq_smlad(a0o, w1o, acc01);
    acc10 = eq_smlad(a1o, w0o, acc10);
    acc11 = eq_smlad(a1o, w1o, acc11);
  }
  c[0] = out1((uint32_t)acc00, p, 0);
  c[1] = out1((uint32_t)acc01, p, 1);
  c[ldc] = out1((uint32_t)acc10, p, 0);
  c[ldc + 1] = out1((uint32_t)acc11, p, 1);
}

static void qs8_gemm_1x2c4__armsimd32(size_t kc, const void* a, const void* w, const qs8_tile_params* p,
                                      int8_t* c, size_t ldc) {
  (void)ldc;
  const uint8_t* a0 = (const uint8_t*)a;
  const uint8_t* const a0_end = a0 + kc;
  const uint8_t* wp = (const uint8_t*)w;
  int32_t acc0 = p->bias[0], acc1 = p->bias[1];
  while (a0 != a0_end) {
    const uint32_t va = eq_load32(a0), w0 = eq_load32(wp), w1 = eq_load32(wp + 4);
    a0 += 4;
    wp += 8;
    const uint32_t ae = eq_sxtb16(va), ao = eq_sxtb16_ror8(va);
    acc0 = eq_smlad(ae, eq_sxtb16(w0), acc0);
    acc1 = eq_smlad(ae, eq_sxtb16(w1), acc1);
    acc0 = eq_smlad(ao, eq_sxtb16_ror8(w0), acc0);
    acc1 = eq_smlad(ao, eq_sxtb16_ror8(w1), acc1);
  }
  c[0] = out1((uint32_t)acc0, p, 0);
  c[1] = out1((uint32_t)acc1, p, 1);
}

const qs8_ukernel_fn qs8_gemm_2x2c4_armsimd32[2] = {qs8_gemm_1x2c4__armsimd32, qs8_gemm_2x2c4__armsimd32};
