#include "qs8-softmax/qs8-softmax.h"
#include "base/fixedpoint.h"

enum { kScaledDiffIntegerBits = 5, kAccumulationIntegerBits = 12 };

static int clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

void qs8_softmax(const qs8_softmax_params* p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t* row = input + (size_t)i * p->depth;
    int8_t* dst = output + (size_t)i * p->depth;
    int32_t max_in_row = -128;
    for (int32_t c = 0; c < p->depth; ++c) max_in_row = row[c] > max_in_row ? row[c] : max_in_row;
    int32_t sum_of_exps = 0; /* Q12 */
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t rescaled = eq_srdhm(eq_shl32(diff, p->input_left_shift), p->input_multiplier);
        sum_of_exps += fp_rescale(fp_exp_on_negative(rescaled, kScaledDiffIntegerBits), 0, kAccumulationIntegerBits);
      }
    }
    const int headroom_plus_one = clz32((uint32_t)sum_of_exps);
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
    const int32_t shifted_scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
    /* every difference is recomputed from the row, so the output may be the input buffer */
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      int8_t v = -128;
      if (diff >= p->diff_min) {
        const int32_t rescaled = eq_srdhm(eq_shl32(diff, p->input_left_shift), p->input_multiplier);
        const int32_t exp_in_0 = fp_exp_on_negative(rescaled, kScaledDiffIntegerBits);
        /* A sum of exps >= 2^28 (>= 512 classes near the maximum) makes the exponent 32 or more,
         * where gemmlowp's RoundingDivideByPOT is undefined (LiteRT 2.3's reference asserts and
         * aborts): the exact quotient of a value below 2^31 by 2^32 or more rounds to 0. */
        const int exponent = num_bits_over_unit + 31 - 8;
        const int32_t unsat = exponent > 31 ? 0 : eq_rdpot(fp_mul(shifted_scale, exp_in_0), exponent);
        v = (int8_t)eq_clamp(unsat - 128, -128, 127);
      }
      dst[c] = v;
    }
  }
}
