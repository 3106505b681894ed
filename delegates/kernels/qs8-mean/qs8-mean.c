/* MEAN row-reduction variant selection. */
#include "qs8-mean/qs8-mean.h"

static qs8_mean_rd_channels_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_mean_rd_channels;
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return qs8_mean_rd_channels_u64_avx512skx;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return qs8_mean_rd_channels_u16_neon;
#endif
    default: return NULL;
  }
}

qs8_mean_rd_channels_fn qs8_mean_rd_channels_for_isa(edgeq_isa isa) {
  return edgeq_isa_supported(isa) ? variant(isa) : NULL;
}

qs8_mean_rd_channels_fn qs8_mean_rd_channels_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return qs8_mean_rd_channels;
}
