/* Same-shape int8 MUL with TFLite's arithmetic (mul.cc, reference MulElementwise):
 * out = clamp(out_zp + MultiplyByQuantizedMultiplier((a - a_zp) * (b - b_zp), mult, shift)). */
#ifndef EDGEQ_QS8_VMUL_H
#define EDGEQ_QS8_VMUL_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t a_offset, b_offset; /* -zero_point of each input */
  int32_t mult, shift;        /* Q31, > 0 = left */
  int32_t out_zp, out_min, out_max;
} qs8_mul_params;

typedef void (*qs8_vmul_fn)(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);

/* The variant for isa (scalar, avx2, avx512, neon); NULL when not built or not runnable here. SIMD variants
 * are bit-exact with the scalar one for shifts in [-31, 31] (a left shift >= 32 is undefined in
 * TFLite; the delegates leave such nodes to the runtime). */
qs8_vmul_fn qs8_vmul_for_isa(edgeq_isa isa);
/* Whether the x86 kernels compute runs of 64+ in their fp32 floor form (qs8-vmul-u16-avx512skx.c): a right shift
 * and a positive multiplier. */
static inline int qs8_mul_fp32_form(const qs8_mul_params* p) { return p->shift < 0 && p->mult > 0; }
/* The best variant this CPU runs within the EDGEQ_ISA cap. */
qs8_vmul_fn qs8_vmul_best(void);
/* The ISA of qs8_vmul_best()'s variant (EDGEQ_ISA_SCALAR when it is the scalar one). */
edgeq_isa qs8_vmul_best_isa(void);

void qs8_vmul_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);
void qs8_vmul_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);
void qs8_vmul_u16_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);
void qs8_vmul_u16_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);

#ifdef __cplusplus
}
#endif
#endif
