/* CONCATENATION of tensors sharing one quantization (what TFLite's int8 kernel requires):
 * strided copies along the axis. `outer` is the product of the dimensions before the axis;
 * chunk[i] the bytes input i contributes per outer step. */
#ifndef EDGEQ_X8_CONCAT_H
#define EDGEQ_X8_CONCAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t n_inputs, outer, out_chunk;
  const int32_t* chunk;
} x8_concat_params;

void x8_concat(const x8_concat_params* p, const int8_t* const* inputs, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
