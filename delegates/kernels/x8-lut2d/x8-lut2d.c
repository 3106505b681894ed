/* Two-input LUT variant selection. */
#include "x8-lut2d/x8-lut2d.h"

static x8_lut2d_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return x8_lut2d_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return x8_lut2d_u8_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return x8_lut2d_u16_avx512skx;
#endif
    default: return NULL;
  }
}

x8_lut2d_fn x8_lut2d_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

x8_lut2d_fn x8_lut2d_gather_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX2};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return NULL;
}

x8_lut2d_fn x8_lut2d_gather_for(edgeq_isa kernel_isa) {
  if (kernel_isa >= EDGEQ_ISA_AVX512 && kernel_isa <= EDGEQ_ISA_AMX && edgeq_slow_gathers()) return NULL;
  return x8_lut2d_gather_best();
}
