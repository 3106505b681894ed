#include "x8-lut2d/x8-lut2d.h"

void x8_lut2d_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table) {
  for (size_t i = 0; i < n; ++i) out[i] = table[(size_t)(uint8_t)a[i] << 8 | (uint8_t)b[i]];
}
