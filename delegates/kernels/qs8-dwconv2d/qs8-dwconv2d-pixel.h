/* Shared by the depthwise variants: the taps of one output pixel, as pointers to channel 0 of each
 * in-bounds input pixel and the weight row of that tap. */
#ifndef EDGEQ_QS8_DWCONV2D_PIXEL_H
#define EDGEQ_QS8_DWCONV2D_PIXEL_H

#include <stddef.h>

#include "qs8-dwconv2d/qs8-dwconv2d.h"

/* Returns the number of in-bounds taps; *all_in is 1 when every tap is in bounds. */
static inline int qs8_dw_taps(const qs8_dwconv2d_params* p, const int8_t* input, size_t px, const int8_t** x,
                              const int8_t** w, int* all_in) {
  const size_t hw = (size_t)p->out_h * p->out_w;
  const int b = (int)(px / hw), oy = (int)((px % hw) / (size_t)p->out_w), ox = (int)(px % (size_t)p->out_w);
  const int iy0 = oy * p->sh - p->pad_top, ix0 = ox * p->sw - p->pad_left;
  const int8_t* image = input + (size_t)b * p->in_h * p->in_w * p->in_c;
  const int8_t* wt = (const int8_t*)p->weights;
  int n = 0;
  for (int ky = 0; ky < p->kh; ++ky) {
    const int iy = iy0 + p->dh * ky;
    for (int kx = 0; kx < p->kw; ++kx) {
      const int ix = ix0 + p->dw * kx;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
      x[n] = image + ((size_t)iy * p->in_w + ix) * p->in_c;
      w[n] = wt + ((size_t)ky * p->kw + kx) * p->out_c;
      ++n;
    }
  }
  *all_in = n == p->kh * p->kw;
  return n;
}

#endif
