/* Portable ADD, one element per step: the reference the SIMD variants are tested against. */
#include "base/requant.h"
#include "qs8-vadd/qs8-vadd.h"

void qs8_vadd_u1_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t x = eq_shl32(p->a_offset + a[i], p->left_shift);
    const int32_t y = eq_shl32(p->b_offset + b[i], p->left_shift);
    const int32_t sx = eq_mbqm_smaller_than_one(x, p->a_mult, p->a_shift);
    const int32_t sy = eq_mbqm_smaller_than_one(y, p->b_mult, p->b_shift);
    const int32_t r = eq_mbqm_smaller_than_one(sx + sy, p->out_mult, p->out_shift) + p->out_zp;
    out[i] = (int8_t)eq_clamp(r, p->out_min, p->out_max);
  }
}
