#include "x8-concat/x8-concat.h"

#include <stddef.h>
#include <string.h>

void x8_concat(const x8_concat_params* p, const int8_t* const* inputs, int8_t* output) {
  for (int32_t k = 0; k < p->outer; ++k) {
    int8_t* dst = output + (size_t)k * p->out_chunk;
    for (int32_t i = 0; i < p->n_inputs; ++i) {
      memcpy(dst, inputs[i] + (size_t)k * p->chunk[i], (size_t)p->chunk[i]);
      dst += p->chunk[i];
    }
  }
}
