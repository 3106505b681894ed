#include "qs8-avgpool/qs8-avgpool.h"

#include <stddef.h>

void qs8_avgpool(const qs8_pool_params* p, const int8_t* input, int8_t* output) {
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w, hw = (size_t)p->out_h * p->out_w;
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    const int b = (int)(px / hw), oy = (int)((px % hw) / (size_t)p->out_w), ox = (int)(px % (size_t)p->out_w);
    const int iy0 = oy * p->sh - p->pad_top, ix0 = ox * p->sw - p->pad_left;
    const int fy0 = iy0 < 0 ? -iy0 : 0, fy1 = p->fh < p->in_h - iy0 ? p->fh : p->in_h - iy0;
    const int fx0 = ix0 < 0 ? -ix0 : 0, fx1 = p->fw < p->in_w - ix0 ? p->fw : p->in_w - ix0;
    const int8_t* image = input + (size_t)b * p->in_h * p->in_w * p->channels;
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
