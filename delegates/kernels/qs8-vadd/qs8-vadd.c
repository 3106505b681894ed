/* ADD variant dispatch. */
#include "qs8-vadd/qs8-vadd.h"

#include <stdlib.h>
#include <string.h>

qs8_vadd_fn qs8_vadd_variant(const char* name) {
  if (!name) return NULL;
  if (strcmp(name, "scalar") == 0) return qs8_vadd_u1_scalar;
#if defined(EDGEQ_VADD_HAVE_AVX2)
  if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") ? qs8_vadd_u8_avx2 : NULL;
#endif
#if defined(EDGEQ_VADD_HAVE_NEON)
  if (strcmp(name, "neon") == 0) return qs8_vadd_u8_neon;
#endif
  return NULL;
}

qs8_vadd_fn qs8_vadd_best(void) {
  qs8_vadd_fn f = qs8_vadd_variant(getenv("EDGEQ_VADD_ISA"));
  if (f) return f;
  if ((f = qs8_vadd_variant("avx2")) != NULL) return f;
  if ((f = qs8_vadd_variant("neon")) != NULL) return f;
  return qs8_vadd_u1_scalar;
}
