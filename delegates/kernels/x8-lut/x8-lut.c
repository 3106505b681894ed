/* LUT variant selection. */
#include "x8-lut/x8-lut.h"

static x8_lut_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return x8_lut_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return x8_lut_u32_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512VBMI)
    case EDGEQ_ISA_AVX512VBMI: return x8_lut_u64_avx512vbmi;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return x8_lut_u64_neon;
#endif
    default: return NULL;
  }
}

x8_lut_fn x8_lut_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

x8_lut_fn x8_lut_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512VBMI, EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return x8_lut_scalar;
}
