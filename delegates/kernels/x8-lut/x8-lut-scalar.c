#include "x8-lut/x8-lut.h"

void x8_lut_scalar(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]) {
  for (size_t i = 0; i < n; ++i) output[i] = table[(uint8_t)input[i]];
}
