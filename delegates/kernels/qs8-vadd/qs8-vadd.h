/* Same-shape int8 ADD with TFLite's arithmetic (add.cc AddElementwise, int8): both inputs
 * shifted left by left_shift, rescaled with MultiplyByQuantizedMultiplierSmallerThanOneExp,
 * summed, rescaled to the output. SIMD variants are bit-exact with the scalar one. */
#ifndef EDGEQ_QS8_VADD_H
#define EDGEQ_QS8_VADD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"
#include "base/requant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t a_offset, b_offset; /* -zero_point of each input */
  int32_t a_mult, a_shift, b_mult, b_shift, out_mult, out_shift; /* shifts <= 0 (right) */
  int32_t left_shift;         /* 20 for int8 */
  int32_t out_zp, out_min, out_max;
} qs8_add_params;

/* One output: the scalar kernel's arithmetic, also what a broadcasting loop calls per element. */
static inline int8_t qs8_add1(int8_t a, int8_t b, const qs8_add_params* p) {
  const int32_t x = eq_shl32(p->a_offset + a, p->left_shift);
  const int32_t y = eq_shl32(p->b_offset + b, p->left_shift);
  const int32_t sx = eq_mbqm_smaller_than_one(x, p->a_mult, p->a_shift);
  const int32_t sy = eq_mbqm_smaller_than_one(y, p->b_mult, p->b_shift);
  const int32_t r = eq_mbqm_smaller_than_one(sx + sy, p->out_mult, p->out_shift) + p->out_zp;
  return (int8_t)eq_clamp(r, p->out_min, p->out_max);
}

/* The fp32 form of an int8 ADD / SUB (left shift 20) that the x86 kernels try first (derivation in
 * qs8-vadd-u16-avx512skx.c): y = w * Kb + (v * Ka + zp) with v, w the inputs less their zero points, whose
 * nearest integer is the exact output wherever y lies more than *d from every half-integer (fma or separate
 * multiplies and adds: up to six roundings of 2^-24 fit the bound). Returns 0 where the form is not used (a left
 * shift, or d >= 1/8). */
static inline int qs8_add_fp32_form(const qs8_add_params* p, double* ka, double* kb, double* d) {
  if (p->left_shift != 20 || p->a_shift > 0 || p->b_shift > 0 || p->out_shift > 0) return 0;
  const double mo = ldexp((double)p->out_mult, -31 + p->out_shift);
  *ka = ldexp((double)p->a_mult, 20 - 31 + p->a_shift) * mo;
  *kb = ldexp((double)p->b_mult, 20 - 31 + p->b_shift) * mo;
  const double eo = 2.0 * fabs(mo) + ldexp(1.0, p->out_shift - 1);
  const double ef = ldexp(255.0 * (fabs(*ka) + fabs(*kb)) + 128.0, -21);
  *d = eo + ef;
  return *d < 0.125;
}

typedef void (*qs8_vadd_fn)(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p);

/* The variant for isa (scalar, avx2, avx512, neon); NULL when not built or not runnable here. */
qs8_vadd_fn qs8_vadd_for_isa(edgeq_isa isa);
/* The best variant this CPU runs within the EDGEQ_ISA cap. */
qs8_vadd_fn qs8_vadd_best(void);
/* The ISA of qs8_vadd_best()'s variant (EDGEQ_ISA_SCALAR when it is the scalar one). */
edgeq_isa qs8_vadd_best_isa(void);

void qs8_vadd_u1_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p);
void qs8_vadd_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p);
void qs8_vadd_u8_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p);
void qs8_vadd_u16_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p);

#ifdef __cplusplus
}
#endif
#endif
