#include "f32-qs8-vcvt/f32-qs8-vcvt.h"

/* roundf for |r| < 2^31: truncate, then step away from zero when the dropped part is >= 1/2
 * (exact: r - t is representable for every float in range). Out of range, NaN included, gives
 * INT32_MIN, which is what the reference's float->int conversion yields on x86. */
static int64_t round_half_away(float r) {
  if (!(r >= -2147483648.0f && r < 2147483648.0f)) return INT32_MIN;
  const int64_t t = (int64_t)r;
  const float frac = r - (float)t;
  if (frac >= 0.5f) return t + 1;
  if (frac <= -0.5f) return t - 1;
  return t;
}

void f32_qs8_vcvt_scalar(size_t n, const float* input, int8_t* output, float scale, int32_t zero_point) {
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = round_half_away(input[i] / scale) + zero_point;
    output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
}
