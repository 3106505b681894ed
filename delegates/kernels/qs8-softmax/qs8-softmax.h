/* SOFTMAX over the last axis, int8 in -> int8 out (scale 1/256, zero point -128): the reference
 * kernel's gemmlowp fixed-point path (exp on Q5.26 differences, Q12 sum, reciprocal). */
#ifndef EDGEQ_QS8_SOFTMAX_H
#define EDGEQ_QS8_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t outer, depth;
  int32_t input_multiplier, input_left_shift, diff_min;
} qs8_softmax_params;

void qs8_softmax(const qs8_softmax_params* p, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
