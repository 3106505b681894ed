/* Scalar ADD (the reference for the SIMD variants) and variant dispatch. */
#include "qs8-vadd/qs8-vadd.h"

#include <stdlib.h>
#include <string.h>

#include "base/requant.h"

void qs8_vadd_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t x = eq_shl32(p->a_offset + a[i], p->left_shift);
    const int32_t y = eq_shl32(p->b_offset + b[i], p->left_shift);
    const int32_t sx = eq_mbqm_smaller_than_one(x, p->a_mult, p->a_shift);
    const int32_t sy = eq_mbqm_smaller_than_one(y, p->b_mult, p->b_shift);
    const int32_t r = eq_mbqm_smaller_than_one(sx + sy, p->out_mult, p->out_shift) + p->out_zp;
    out[i] = (int8_t)eq_clamp(r, p->out_min, p->out_max);
  }
}

qs8_vadd_fn qs8_vadd_variant(const char* name) {
  if (!name) return NULL;
  if (strcmp(name, "scalar") == 0) return qs8_vadd_scalar;
#if defined(EDGEQ_VADD_HAVE_AVX2)
  if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") ? qs8_vadd_avx2 : NULL;
#endif
#if defined(EDGEQ_VADD_HAVE_NEON)
  if (strcmp(name, "neon") == 0) return qs8_vadd_neon;
#endif
  return NULL;
}

qs8_vadd_fn qs8_vadd_best(void) {
  qs8_vadd_fn f = qs8_vadd_variant(getenv("EDGEQ_VADD_ISA"));
  if (f) return f;
  if ((f = qs8_vadd_variant("avx2")) != NULL) return f;
  if ((f = qs8_vadd_variant("neon")) != NULL) return f;
  return qs8_vadd_scalar;
}
