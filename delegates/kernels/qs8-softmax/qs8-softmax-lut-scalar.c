/* qs8_softmax with the exps looked up: an element's exp depends only on its difference to the
 * row maximum, an int8 difference has 256 values, so the per-element fixed-point exp (the
 * reference's cost) becomes one table read per element and pass. */
#include <string.h>

#include "qs8-softmax/qs8-softmax-row.h"

enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };

void qs8_softmax_table_init(const qs8_softmax_params* p, qs8_softmax_table* t) {
  for (int32_t d = 0; d < 256; ++d) {
    const int32_t diff = -d;
    int32_t e = 0;
    if (diff >= p->diff_min) {
      const int32_t rescaled = eq_srdhm(eq_shl32(diff, p->input_left_shift), p->input_multiplier);
      e = fp_exp_on_negative(rescaled, kScaledDiffIntegerBits);
    }
    t->exp[d] = e;
    t->sum[d] = fp_rescale(e, 0, kAccumulationIntegerBits);
  }
}

void qs8_softmax_lut(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input, int8_t* output,
                     int32_t row_begin, int32_t row_end) {
  const size_t depth = (size_t)p->depth;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int8_t* row = input + (size_t)i * depth;
    int8_t* dst = output + (size_t)i * depth;
    qs8_softmax_row r;
    if (!qs8_softmax_row_init(t, row, depth, &r)) {
      memset(dst, -128, depth);
      continue;
    }
    /* row[c] is read before dst[c] is written: in place is fine */
    for (size_t c = 0; c < depth; ++c) {
      const int32_t unsat = eq_rdpot(fp_mul(r.scale, t->exp[r.max - row[c]]), r.exponent);
      dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
    }
  }
}

static qs8_softmax_lut_fn variant(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_softmax_lut;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return qs8_softmax_lut_avx2;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return qs8_softmax_lut_neon;
#endif
    default: return NULL;
  }
}

qs8_softmax_lut_fn qs8_softmax_lut_for_isa(edgeq_isa isa) { return edgeq_isa_supported(isa) ? variant(isa) : NULL; }

qs8_softmax_lut_fn qs8_softmax_lut_best(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i)
    if (variant(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return variant(best_first[i]);
  return qs8_softmax_lut;
}
