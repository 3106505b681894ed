#include "qs8-avgpool/qs8-avgpool.h"

#include <stddef.h>

void qs8_avgpool(const qs8_pool_params* p, const int8_t* input, int8_t* output) {
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w;
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    const qs8_pool_window w = qs8_pool_window_of(p, input, px);
    const int iy0 = w.iy0, ix0 = w.ix0, fy0 = w.fy0, fy1 = w.fy1, fx0 = w.fx0, fx1 = w.fx1;
    const int8_t* image = w.image;
    int8_t* dst = output + px * (size_t)p->channels;
    const int32_t count = (fy1 - fy0) * (fx1 - fx0) > 0 ? (fy1 - fy0) * (fx1 - fx0) : 1;
    for (int32_t c = 0; c < p->channels; ++c) {
      int32_t acc = 0;
      for (int fy = fy0; fy < fy1; ++fy)
        for (int fx = fx0; fx < fx1; ++fx)
          acc += image[((size_t)(iy0 + fy) * p->in_w + (ix0 + fx)) * p->channels + c];
      acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      dst[c] = (int8_t)(acc < p->out_min ? p->out_min : (acc > p->out_max ? p->out_max : acc));
    }
  }
}
