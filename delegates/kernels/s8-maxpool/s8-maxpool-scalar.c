#include "s8-maxpool/s8-maxpool.h"

#include <stddef.h>

void s8_maxpool(const qs8_pool_params* p, const int8_t* input, int8_t* output) {
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w;
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    const qs8_pool_window w = qs8_pool_window_of(p, input, px);
    const int iy0 = w.iy0, ix0 = w.ix0, fy0 = w.fy0, fy1 = w.fy1, fx0 = w.fx0, fx1 = w.fx1;
    const int8_t* image = w.image;
    int8_t* dst = output + px * (size_t)p->channels;
    for (int32_t c = 0; c < p->channels; ++c) {
      int32_t m = -128;
      for (int fy = fy0; fy < fy1; ++fy)
        for (int fx = fx0; fx < fx1; ++fx) {
          const int32_t v = image[((size_t)(iy0 + fy) * p->in_w + (ix0 + fx)) * p->channels + c];
          m = v > m ? v : m;
        }
      dst[c] = (int8_t)(m < p->out_min ? p->out_min : (m > p->out_max ? p->out_max : m));
    }
  }
}
