/* qs8_softmax with the exps looked up: an element's exp depends only on its difference to the
 * row maximum, an int8 difference has 256 values, so the per-element fixed-point exp (the
 * reference's cost) becomes one table read per element and pass. */
#include "base/fixedpoint.h"
#include "qs8-softmax/qs8-softmax.h"

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
    t->sum[d] = e ? fp_rescale(e, 0, kAccumulationIntegerBits) : 0;
  }
}

void qs8_softmax_lut(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input, int8_t* output,
                     int32_t row_begin, int32_t row_end) {
  const size_t depth = (size_t)p->depth;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int8_t* row = input + (size_t)i * depth;
    int8_t* dst = output + (size_t)i * depth;
    int32_t max_in_row = -128;
    for (size_t c = 0; c < depth; ++c) max_in_row = row[c] > max_in_row ? row[c] : max_in_row;
    int32_t sum_of_exps = 0; /* Q12 */
    for (size_t c = 0; c < depth; ++c) sum_of_exps += t->sum[max_in_row - row[c]];
    const int headroom_plus_one = sum_of_exps ? __builtin_clz((uint32_t)sum_of_exps) : 32;
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << (headroom_plus_one & 31)) - ((uint32_t)1 << 31));
    const int32_t shifted_scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8;
    if (exponent > 31) { /* >= 512 classes near the maximum: every quotient rounds to 0 (see qs8_softmax) */
      for (size_t c = 0; c < depth; ++c) dst[c] = -128;
      continue;
    }
    /* row[c] is read before dst[c] is written: in place is fine */
    for (size_t c = 0; c < depth; ++c) {
      const int32_t unsat = eq_rdpot(fp_mul(shifted_scale, t->exp[max_in_row - row[c]]), exponent);
      dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
    }
  }
}
