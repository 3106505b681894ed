/* SOFTMAX, int8 in -> int8 out (scale 1/256, zero point -128), the reference kernel's
 * gemmlowp fixed-point path: exp on Q5.26 diffs, Q12 sum, reciprocal, rescale. */
#include <stdlib.h>

#include "base/fixedpoint.h"
#include "cpu_op.h"
#include "base/requant.h"

enum { kScaledDiffIntegerBits = EQ_SOFTMAX_DIFF_INTEGER_BITS, kAccumulationIntegerBits = 12 };

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  eq_softmax_params* s = calloc(1, sizeof(*s));
  if (s) eq_softmax_prepare(ctx, node, s);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const eq_softmax_params* s = s_;
  const int8_t* x = in[0];
  int8_t* y = out[0];
  for (size_t i = 0; i < s->outer; ++i) {
    const int8_t* row = x + i * s->depth;
    int8_t* dst = y + i * s->depth;
    int32_t max_in_row = -128;
    for (size_t c = 0; c < s->depth; ++c) max_in_row = row[c] > max_in_row ? row[c] : max_in_row;
    int32_t sum_of_exps = 0; /* Q12 */
    for (size_t c = 0; c < s->depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      if (diff >= s->diff_min) {
        const int32_t rescaled = eq_srdhm(eq_shl32(diff, s->input_left_shift), s->input_multiplier);
        sum_of_exps += fp_rescale(fp_exp_on_negative(rescaled, kScaledDiffIntegerBits), 0, kAccumulationIntegerBits);
      }
    }
    /* GetReciprocal */
    const int headroom_plus_one = sum_of_exps ? __builtin_clz((uint32_t)sum_of_exps) : 32;
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
    const int32_t shifted_scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
    for (size_t c = 0; c < s->depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      if (diff >= s->diff_min) {
        const int32_t rescaled = eq_srdhm(eq_shl32(diff, s->input_left_shift), s->input_multiplier);
        const int32_t exp_in_0 = fp_exp_on_negative(rescaled, kScaledDiffIntegerBits);
        const int32_t unsat = eq_rdpot(fp_mul(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8);
        dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
      } else {
        dst[c] = -128;
      }
    }
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_softmax = {{"SOFTMAX", kTfLiteBuiltinSoftmax, eq_check_softmax}, create, eval, free, NULL};
