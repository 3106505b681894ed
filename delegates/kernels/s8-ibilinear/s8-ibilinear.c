/* Portable int8 bilinear rows; the channel loop is written for the compiler's vectorizer (int32 lanes). */
#include "s8-ibilinear/s8-ibilinear.h"

int32_t s8_ibilinear_scale(int32_t in_size, int32_t out_size, int align_corners) {
  if (align_corners && out_size > 1) return ((1 << 10) * (in_size - 1) + (out_size - 1) / 2) / (out_size - 1);
  return ((1 << 10) * in_size + out_size / 2) / out_size;
}

void s8_ibilinear_coord(int32_t i, int32_t scale_10, int half_pixel_centers, int32_t in_size, int32_t* frac,
                        int32_t* lo, int32_t* hi) {
  const int32_t v = half_pixel_centers ? i * scale_10 + scale_10 / 2 - (1 << 9) : i * scale_10;
  const int32_t l = v / (1 << 10), h = (v + (1 << 10) - 1) / (1 << 10); /* C division truncates, as the reference */
  *lo = l > 0 ? l : 0;
  *hi = h < in_size - 1 ? h : in_size - 1;
  *frac = v - (1 << 10) * *lo;
}

#if defined(__aarch64__)
#include <arm_neon.h>

/* 8 channels on int32 lanes: the fractions fit int16 (-512..1536), so each vertical pair is one widening
 * multiply and multiply-accumulate by a scalar; the rounding is srshr after ssra of the sign (the formula above) */
static inline int8x8_t interp8(int8x8_t a0, int8x8_t a1, int8x8_t b0, int8x8_t b1, int16_t wy0, int16_t wy1,
                               int32_t wx0, int32_t wx1) {
  const int16x8_t ha0 = vmovl_s8(a0), ha1 = vmovl_s8(a1), hb0 = vmovl_s8(b0), hb1 = vmovl_s8(b1);
  const int32x4_t l0 = vmlal_n_s16(vmull_n_s16(vget_low_s16(ha0), wy0), vget_low_s16(hb0), wy1);
  const int32x4_t l1 = vmlal_high_n_s16(vmull_high_n_s16(ha0, wy0), hb0, wy1);
  const int32x4_t r0 = vmlal_n_s16(vmull_n_s16(vget_low_s16(ha1), wy0), vget_low_s16(hb1), wy1);
  const int32x4_t r1 = vmlal_high_n_s16(vmull_high_n_s16(ha1, wy0), hb1, wy1);
  int32x4_t t0 = vmlaq_n_s32(vmulq_n_s32(l0, wx0), r0, wx1), t1 = vmlaq_n_s32(vmulq_n_s32(l1, wx0), r1, wx1);
  t0 = vrshrq_n_s32(vsraq_n_s32(t0, t0, 31), 20);
  t1 = vrshrq_n_s32(vsraq_n_s32(t1, t1, 31), 20);
  return vmovn_s16(vcombine_s16(vmovn_s32(t0), vmovn_s32(t1))); /* in range: plain narrows */
}
#endif

void s8_ibilinear_row(size_t channels, size_t out_w, const int8_t* row0, const int8_t* row1, int32_t dy,
                      const int32_t* x0, const int32_t* x1, const int32_t* dx, int8_t* out) {
  const int32_t wy1 = dy, wy0 = (1 << 10) - dy;
  for (size_t x = 0; x < out_w; ++x, out += channels) {
    const int8_t *a0 = row0 + x0[x], *a1 = row0 + x1[x], *b0 = row1 + x0[x], *b1 = row1 + x1[x];
    const int32_t wx1 = dx[x], wx0 = (1 << 10) - dx[x];
    size_t c = 0;
#if defined(__aarch64__)
    for (; c + 8 <= channels; c += 8)
      vst1_s8(out + c, interp8(vld1_s8(a0 + c), vld1_s8(a1 + c), vld1_s8(b0 + c), vld1_s8(b1 + c), (int16_t)wy0,
                               (int16_t)wy1, wx0, wx1));
#endif
    for (; c < channels; ++c) {
      const int32_t l = a0[c] * wy0 + b0[c] * wy1, r = a1[c] * wy0 + b1[c] * wy1;
      const int32_t t = l * wx0 + r * wx1;
      out[c] = (int8_t)((t + (1 << 19) + (t >> 31)) >> 20);
    }
  }
}
