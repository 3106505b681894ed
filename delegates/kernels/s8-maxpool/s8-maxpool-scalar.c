#include "s8-maxpool/s8-maxpool.h"

#include <stddef.h>

void s8_maxpool(const qs8_pool_params* p, const int8_t* input, int8_t* output) {
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w, hw = (size_t)p->out_h * p->out_w;
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    const int b = (int)(px / hw), oy = (int)((px % hw) / (size_t)p->out_w), ox = (int)(px % (size_t)p->out_w);
    const int iy0 = oy * p->sh - p->pad_top, ix0 = ox * p->sw - p->pad_left;
    const int fy0 = iy0 < 0 ? -iy0 : 0, fy1 = p->fh < p->in_h - iy0 ? p->fh : p->in_h - iy0;
    const int fx0 = ix0 < 0 ? -ix0 : 0, fx1 = p->fw < p->in_w - ix0 ? p->fw : p->in_w - ix0;
    const int8_t* image = input + (size_t)b * p->in_h * p->in_w * p->channels;
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
