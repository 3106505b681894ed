/* MEAN row-reduction variant selection. */
#include "qs8-mean/qs8-mean.h"

static qs8_mean_rd_channels_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_mean_rd_channels;
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
  if (variant(EDGEQ_ISA_NEON) != NULL && edgeq_isa_enabled(EDGEQ_ISA_NEON)) return variant(EDGEQ_ISA_NEON);
  return qs8_mean_rd_channels;
}
