/* The per-row part of the table softmax every variant shares: the maximum, the Q12 sum of exps
 * through the table, and the reciprocal as a multiplier with its right shift. */
#ifndef EDGEQ_QS8_SOFTMAX_ROW_H
#define EDGEQ_QS8_SOFTMAX_ROW_H

#include "base/fixedpoint.h"
#include "qs8-softmax/qs8-softmax.h"

typedef struct {
  int32_t max, scale, exponent; /* element c -> RoundingDivideByPOT(SRDHM(scale, exp[max - x]), exponent) - 128 */
} qs8_softmax_row;

/* 0 when every output of the row is -128 (a sum of exps >= 2^28 puts the exponent past 31: the
 * exact quotients all round to 0, see qs8_softmax). */
static inline int qs8_softmax_row_init(const qs8_softmax_table* t, const int8_t* row, size_t depth,
                                       qs8_softmax_row* r) {
  int32_t max_in_row = -128;
  for (size_t c = 0; c < depth; ++c) max_in_row = row[c] > max_in_row ? row[c] : max_in_row;
  int32_t sum_of_exps = 0; /* Q12 */
  for (size_t c = 0; c < depth; ++c) sum_of_exps += t->sum[max_in_row - row[c]];
  /* the maximum's own exp is 1.0: the sum is never 0 */
  const int headroom_plus_one = __builtin_clz((uint32_t)sum_of_exps);
  const int num_bits_over_unit = 12 - headroom_plus_one;
  const int32_t shifted_sum_minus_one =
      (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
  r->max = max_in_row;
  r->scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
  r->exponent = num_bits_over_unit + 31 - 8;
  return r->exponent <= 31;
}

#endif
