#include "qs8-f32-vcvt/qs8-f32-vcvt.h"

void qs8_f32_vcvt_scalar(size_t n, const int8_t* input, float* output, double scale, int32_t zero_point) {
  for (size_t i = 0; i < n; ++i) output[i] = (float)(scale * (double)(input[i] - zero_point));
}
