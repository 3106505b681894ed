/* MUL variant selection. */
#include "qs8-vmul/qs8-vmul.h"

static qs8_vmul_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_vmul_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return qs8_vmul_u16_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return qs8_vmul_u16_avx512skx;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return qs8_vmul_u16_neon;
#endif
    default: return NULL;
  }
}

qs8_vmul_fn qs8_vmul_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

edgeq_isa qs8_vmul_best_isa(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return best_first[i];
  return EDGEQ_ISA_SCALAR;
}

qs8_vmul_fn qs8_vmul_best(void) { return variant(qs8_vmul_best_isa()); }
