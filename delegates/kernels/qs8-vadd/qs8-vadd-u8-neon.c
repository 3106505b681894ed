/* aarch64 NEON ADD: 8 elements per step in two int32x4 halves, the double-rounding requant
 * of the GEMM kernels (eq_neon_mbqm_double with a non-positive shift). */
/* Variant of qs8-vadd-u8-avx2.c: one file per ISA and weight type, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-vadd/qs8-vadd.h"

static inline int32x4_t add4(int16x4_t a, int16x4_t b, const qs8_add_params* p) {
  const int32x4_t ls = vdupq_n_s32(p->left_shift);
  const int32x4_t x = vshlq_s32(vaddq_s32(vmovl_s16(a), vdupq_n_s32(p->a_offset)), ls);
  const int32x4_t y = vshlq_s32(vaddq_s32(vmovl_s16(b), vdupq_n_s32(p->b_offset)), ls);
  const int32x4_t sx = eq_neon_mbqm_double(x, vdupq_n_s32(p->a_mult), vdupq_n_s32(p->a_shift));
  const int32x4_t sy = eq_neon_mbqm_double(y, vdupq_n_s32(p->b_mult), vdupq_n_s32(p->b_shift));
  int32x4_t r = eq_neon_mbqm_double(vaddq_s32(sx, sy), vdupq_n_s32(p->out_mult), vdupq_n_s32(p->out_shift));
  r = vaddq_s32(r, vdupq_n_s32(p->out_zp));
  return vminq_s32(vmaxq_s32(r, vdupq_n_s32(p->out_min)), vdupq_n_s32(p->out_max));
}

static inline int8x8_t add8(int8x8_t a8, int8x8_t b8, const qs8_add_params* p) {
  const int16x8_t a = vmovl_s8(a8), b = vmovl_s8(b8);
  const int32x4_t lo = add4(vget_low_s16(a), vget_low_s16(b), p), hi = add4(vget_high_s16(a), vget_high_s16(b), p);
  return vmovn_s16(vcombine_s16(vmovn_s32(lo), vmovn_s32(hi))); /* clamped: narrowing only */
}

void qs8_vadd_u8_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) vst1_s8(out + i, add8(vld1_s8(a + i), vld1_s8(b + i), p));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    memcpy(ta, a + i, n - i);
    memcpy(tb, b + i, n - i);
    vst1_s8(to, add8(vld1_s8(ta), vld1_s8(tb), p));
    memcpy(out + i, to, n - i);
  }
}
