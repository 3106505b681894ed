/* MAX_POOL_2D micro-kernel variant selection. */
#include "s8-maxpool/s8-maxpool-taps.h"

static s8_maxpool_taps_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return s8_maxpool_taps_c1_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return s8_maxpool_taps_c32_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return s8_maxpool_taps_c64_avx512skx;
#endif
    default: return NULL;
  }
}

s8_maxpool_taps_fn s8_maxpool_taps_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

s8_maxpool_taps_fn s8_maxpool_taps_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX2};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return s8_maxpool_taps_c1_scalar;
}
