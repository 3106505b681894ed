/* Portable ADD, one element per step: the reference the SIMD variants are tested against. */
#include "qs8-vadd/qs8-vadd.h"

void qs8_vadd_u1_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  for (size_t i = 0; i < n; ++i) out[i] = qs8_add1(a[i], b[i], p);
}
