#include "qs8-vmul/qs8-vmul.h"
#include "base/requant.h"

void qs8_vmul_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t prod = (p->a_offset + a[i]) * (p->b_offset + b[i]);
    out[i] = eq_requantize(prod, p->mult, p->shift, 0, p->out_zp, p->out_min, p->out_max);
  }
}
