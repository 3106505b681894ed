#include "qs8-vprelu/qs8-vprelu.h"
#include "base/requant.h"

void qs8_vprelu_scalar(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = p->x_offset + x[i];
    const int32_t r = v >= 0 ? eq_mbqm(v, p->mult_pos, p->shift_pos)
                             : eq_mbqm(v * (p->alpha_offset + alpha[i]), p->mult_neg, p->shift_neg);
    out[i] = (int8_t)eq_clamp((int32_t)((uint32_t)r + (uint32_t)p->out_zp), -128, 127);
  }
}
