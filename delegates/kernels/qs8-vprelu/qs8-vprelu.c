/* PRELU variant selection and the positive-branch table of the SIMD variants. */
#include "qs8-vprelu/qs8-vprelu.h"

#include <string.h>

#include "base/requant.h"

void qs8_vprelu_init_table(qs8_prelu_params* p) {
  memset(p->pos_table, 0, sizeof(p->pos_table));
  const int32_t last = 127 + p->x_offset; /* x' of x = 127; >= 0 */
  for (int32_t u = 0; u <= last; ++u) {
    const int32_t r = eq_mbqm(u, p->mult_pos, p->shift_pos);
    p->pos_table[u] = (int8_t)eq_clamp((int32_t)((uint32_t)r + (uint32_t)p->out_zp), -128, 127);
  }
  p->pos_tables = last / 64 + 1;
}

static qs8_vprelu_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_vprelu_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return qs8_vprelu_u16_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return qs8_vprelu_u16_avx512skx;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return qs8_vprelu_u16_neon;
#endif
    default: return NULL;
  }
}

qs8_vprelu_fn qs8_vprelu_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

qs8_vprelu_fn qs8_vprelu_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return qs8_vprelu_scalar;
}
