/* Portable depthwise kernel: the reference the Cortex-M variants are checked against. */
#include "qs8-dwconv2d/qs8-dwconv2d.h"
#include "base/requant.h"

static int32_t weight_at(const qs8_dwconv2d_params* p, size_t i) {
  if (p->weight_bits == 8) return ((const int8_t*)p->weights)[i];
  const uint8_t b = ((const uint8_t*)p->weights)[i >> 1];
  return (i & 1) ? (int32_t)((int8_t)b >> 4) : (int32_t)((int8_t)(uint8_t)(b << 4) >> 4);
}

void qs8_dwconv2d(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output) {
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w;
  const size_t hw = (size_t)p->out_h * p->out_w;
  const int32_t in_off = -p->in_zp;
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    const int b = (int)(px / hw), oy = (int)((px % hw) / (size_t)p->out_w), ox = (int)(px % (size_t)p->out_w);
    const int iy0 = oy * p->sh - p->pad_top, ix0 = ox * p->sw - p->pad_left;
    const int8_t* image = input + (size_t)b * p->in_h * p->in_w * p->in_c;
    int8_t* dst = output + px * (size_t)p->out_c;
    for (int32_t oc = 0; oc < p->out_c; ++oc) {
      const int32_t ic = oc / p->depth_mult;
      int32_t acc = 0;
      for (int ky = 0; ky < p->kh; ++ky) {
        const int iy = iy0 + p->dh * ky;
        if (iy < 0 || iy >= p->in_h) continue;
        for (int kx = 0; kx < p->kw; ++kx) {
          const int ix = ix0 + p->dw * kx;
          if (ix < 0 || ix >= p->in_w) continue;
          const int32_t x = image[((size_t)iy * p->in_w + ix) * p->in_c + ic];
          acc += weight_at(p, ((size_t)ky * p->kw + kx) * p->out_c + oc) * (x + in_off);
        }
      }
      acc += p->bias[oc];
      dst[oc] = eq_requantize(acc, p->mult[oc], p->shift[oc], 0, p->out_zp, p->out_min, p->out_max);
    }
  }
}
