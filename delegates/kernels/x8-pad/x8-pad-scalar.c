#include "x8-pad/x8-pad.h"

#include <stddef.h>
#include <string.h>

void x8_pad(const x8_pad_params* p, const int8_t* input, int8_t* output) {
  const int32_t* id = p->in_dims;
  const int32_t* od = p->out_dims;
  const size_t row = (size_t)id[4];
  memset(output, p->fill, (size_t)p->out_count);
  for (int32_t a = 0; a < id[0]; ++a)
    for (int32_t b = 0; b < id[1]; ++b)
      for (int32_t c = 0; c < id[2]; ++c)
        for (int32_t d = 0; d < id[3]; ++d) {
          const size_t src = (((size_t)a * id[1] + b) * id[2] + c) * id[3] + d;
          const size_t dst = ((((size_t)(a + p->before[0]) * od[1] + b + p->before[1]) * od[2] + c + p->before[2]) *
                                  od[3] + d + p->before[3]) * od[4] + p->before[4];
          memcpy(output + dst, input + src * row, row);
        }
}
