#include "qs8-vcvt/qs8-vcvt.h"
#include "base/requant.h"

void qs8_vcvt_scalar(size_t n, const int8_t* input, int8_t* output, const qs8_cvt_params* p) {
  for (size_t i = 0; i < n; ++i)
    output[i] = eq_requantize(input[i] - p->in_zp, p->mult, p->shift, 0, p->out_zp, -128, 127);
}
