/* SOFTMAX over the last axis, int8 in -> int8 out (scale 1/256, zero point -128): the reference
 * kernel's gemmlowp fixed-point path (exp on Q5.26 differences, Q12 sum, reciprocal). */
#ifndef EDGEQ_QS8_SOFTMAX_H
#define EDGEQ_QS8_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t outer, depth;
  int32_t input_multiplier, input_left_shift, diff_min;
} qs8_softmax_params;

void qs8_softmax(const qs8_softmax_params* p, const int8_t* input, int8_t* output);

/* The same result with the exp of each possible difference to the row maximum (0..255) computed
 * once: exp[d] is gemmlowp's exp of the rescaled -d in Q0.31, 0 where -d < diff_min (such an
 * element adds 0 to the sum and comes out as -128, as in the reference), sum[d] its Q12 term. */
typedef struct {
  int32_t exp[256];
  int32_t sum[256];
} qs8_softmax_table;
void qs8_softmax_table_init(const qs8_softmax_params* p, qs8_softmax_table* t);
/* Rows [row_begin, row_end) of qs8_softmax through the table; output may be the input. Variants:
 * scalar, avx2 and neon (the per-element double-rounding rescale on vector lanes). */
typedef void (*qs8_softmax_lut_fn)(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                                   int8_t* output, int32_t row_begin, int32_t row_end);
void qs8_softmax_lut(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input, int8_t* output,
                     int32_t row_begin, int32_t row_end);
void qs8_softmax_lut_avx2(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                          int8_t* output, int32_t row_begin, int32_t row_end);
void qs8_softmax_lut_neon(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                          int8_t* output, int32_t row_begin, int32_t row_end);
/* NULL when this build or CPU has no such variant */
qs8_softmax_lut_fn qs8_softmax_lut_for_isa(edgeq_isa isa);
qs8_softmax_lut_fn qs8_softmax_lut_best(void);

#ifdef __cplusplus
}
#endif
#endif
