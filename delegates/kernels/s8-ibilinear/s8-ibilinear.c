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

void s8_ibilinear_row(size_t channels, size_t out_w, const int8_t* row0, const int8_t* row1, int32_t dy,
                      const int32_t* x0, const int32_t* x1, const int32_t* dx, int8_t* out) {
  const int32_t wy1 = dy, wy0 = (1 << 10) - dy;
  for (size_t x = 0; x < out_w; ++x, out += channels) {
    const int8_t *a0 = row0 + x0[x], *a1 = row0 + x1[x], *b0 = row1 + x0[x], *b1 = row1 + x1[x];
    const int32_t wx1 = dx[x], wx0 = (1 << 10) - dx[x];
    for (size_t c = 0; c < channels; ++c) {
      const int32_t l = a0[c] * wy0 + b0[c] * wy1, r = a1[c] * wy0 + b1[c] * wy1;
      const int32_t t = l * wx0 + r * wx1;
      out[c] = (int8_t)((t + (1 << 19) + (t >> 31)) >> 20);
    }
  }
}
