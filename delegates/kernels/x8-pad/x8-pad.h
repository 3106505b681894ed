/* PAD of a rank <= 5 int8 tensor with a constant byte (the output zero point: the quantized
 * value of 0.0). Dimensions are left-aligned to rank 5 by the compiler. */
#ifndef EDGEQ_X8_PAD_H
#define EDGEQ_X8_PAD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t in_dims[5], out_dims[5], before[5];
  int32_t out_count;
  int8_t fill;
} x8_pad_params;

void x8_pad(const x8_pad_params* p, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
