/* aarch64 NEON MUL: 16 elements per step; offsets added in int16 (|x| <= 255), exact int32
 * products by vmull, the GEMM kernels' double rounding (eq_neon_mbqm_double). */
/* Variant of qs8-vmul-u16-avx2.c: one file per ISA, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-vmul/qs8-vmul.h"

typedef struct {
  int16x8_t a_off, b_off;
  int32x4_t mult, shift, zp, lo, hi;
} consts;

static inline int16x4_t rq(int32x4_t prod, const consts* c) {
  const int32x4_t r = vaddq_s32(eq_neon_mbqm_double(prod, c->mult, c->shift), c->zp);
  return vmovn_s32(vminq_s32(vmaxq_s32(r, c->lo), c->hi)); /* clamped: narrowing only */
}

static inline int8x8_t mul8(int8x8_t a8, int8x8_t b8, const consts* c) {
  const int16x8_t x = vaddq_s16(vmovl_s8(a8), c->a_off), y = vaddq_s16(vmovl_s8(b8), c->b_off);
  const int16x4_t lo = rq(vmull_s16(vget_low_s16(x), vget_low_s16(y)), c);
  const int16x4_t hi = rq(vmull_high_s16(x, y), c);
  return vmovn_s16(vcombine_s16(lo, hi));
}

void qs8_vmul_u16_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  const consts c = {vdupq_n_s16((int16_t)p->a_offset), vdupq_n_s16((int16_t)p->b_offset), vdupq_n_s32(p->mult),
                    vdupq_n_s32(p->shift), vdupq_n_s32(p->out_zp), vdupq_n_s32(p->out_min), vdupq_n_s32(p->out_max)};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int8x16_t a16 = vld1q_s8(a + i), b16 = vld1q_s8(b + i);
    vst1q_s8(out + i, vcombine_s8(mul8(vget_low_s8(a16), vget_low_s8(b16), &c), mul8(vget_high_s8(a16), vget_high_s8(b16), &c)));
  }
  for (; i + 8 <= n; i += 8) vst1_s8(out + i, mul8(vld1_s8(a + i), vld1_s8(b + i), &c));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    memcpy(ta, a + i, n - i);
    memcpy(tb, b + i, n - i);
    vst1_s8(to, mul8(vld1_s8(ta), vld1_s8(tb), &c));
    memcpy(out + i, to, n - i);
  }
}
