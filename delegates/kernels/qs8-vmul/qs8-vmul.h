/* Same-shape int8 MUL with TFLite's arithmetic (mul.cc, reference MulElementwise):
 * out = clamp(out_zp + MultiplyByQuantizedMultiplier((a - a_zp) * (b - b_zp), mult, shift)). */
#ifndef EDGEQ_QS8_VMUL_H
#define EDGEQ_QS8_VMUL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t a_offset, b_offset; /* -zero_point of each input */
  int32_t mult, shift;        /* Q31, > 0 = left */
  int32_t out_zp, out_min, out_max;
} qs8_mul_params;

void qs8_vmul_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p);

#ifdef __cplusplus
}
#endif
#endif
