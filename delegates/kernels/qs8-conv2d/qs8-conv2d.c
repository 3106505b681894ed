#include "qs8-conv2d/qs8-conv2d.h"

#include <string.h>

/* Copies the input patch of output pixel `r` (over all batches) to dst[0, k). */
static void patch(const qs8_conv2d_params* p, const int8_t* in, size_t r, int8_t* dst) {
  const size_t hw = (size_t)p->out_h * (size_t)p->out_w;
  const int b = (int)(r / hw);
  const int oy = (int)((r % hw) / (size_t)p->out_w), ox = (int)(r % (size_t)p->out_w);
  const int iy0 = oy * p->sh - p->pad_top, ix0 = ox * p->sw - p->pad_left;
  const size_t c = (size_t)p->in_c;
  const int8_t* image = in + (size_t)b * p->in_h * p->in_w * c;
  const int row_inside = p->dw == 1 && ix0 >= 0 && ix0 + p->kw <= p->in_w;
  for (int ky = 0; ky < p->kh; ++ky) {
    const int iy = iy0 + ky * p->dh;
    if (row_inside && iy >= 0 && iy < p->in_h) { /* the kw taps of this row are adjacent pixels */
      memcpy(dst, image + ((size_t)iy * p->in_w + ix0) * c, (size_t)p->kw * c);
      dst += (size_t)p->kw * c;
      continue;
    }
    for (int kx = 0; kx < p->kw; ++kx, dst += c) {
      const int ix = ix0 + kx * p->dw;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
        memset(dst, (int8_t)p->in_zp, c);
      else
        memcpy(dst, image + ((size_t)iy * p->in_w + ix) * c, c);
    }
  }
}

void qs8_conv2d(const qs8_conv2d_params* p, const int8_t* input, int8_t* output, int8_t* scratch) {
  const size_t rows = (size_t)p->batches * p->out_h * p->out_w;
  const size_t mr = p->mr, nr = p->nr, kc = (size_t)p->kc, n = (size_t)p->out_c;
  const size_t n_tiles = (n + nr - 1) / nr, blocks = (rows + mr - 1) / mr;
  int8_t* tail = scratch + mr * kc; /* the last, partial tile of a block: mr x nr */
  for (size_t bi = 0; bi < blocks; ++bi) {
    const size_t b = p->reverse ? blocks - 1 - bi : bi;
    const size_t r0 = b * mr, mv = rows - r0 < mr ? rows - r0 : mr;
    for (size_t i = 0; i < mv; ++i) patch(p, input, r0 + i, scratch + i * kc);
    for (size_t t = 0; t < n_tiles; ++t) {
      const size_t n0 = t * nr;
      const qs8_tile_params tp = {p->bias + n0, p->mult + n0, p->shift + n0, p->rounding,
                                  p->out_zp,    p->out_min,  p->out_max,    NULL,
                                  NULL,         NULL,        NULL,          0, 0, NULL};
      const void* w = (const uint8_t*)p->weights + t * (size_t)p->tile_bytes;
      int8_t* dst = output + r0 * n + n0;
      if (n0 + nr <= n) {
        p->ukernel[mv - 1](kc, scratch, w, &tp, dst, n);
      } else {
        p->ukernel[mv - 1](kc, scratch, w, &tp, tail, nr);
        for (size_t i = 0; i < mv; ++i) memcpy(dst + i * n, tail + i * nr, n - n0);
      }
    }
  }
}
