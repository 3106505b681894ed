/* aarch64 NEON MUL: 16 elements per step; inputs minus their zero points by ssubl (int16, exact),
 * exact int32 products by smull, the GEMM kernels' double rounding split once per call (three
 * instructions per 4 lanes when the shift is a right shift), then XNNPACK's saturating narrows:
 * int16 with the zero point added saturating, int8, clamp (none where the output range is all of
 * int8: the saturating narrow is the clamp). The narrows equal the reference's
 * int32 add and clamp while |product << shift| stays below 2^31 - 128 (shift <= 15: |product| <=
 * 255 * 255); larger left shifts, where the reference's int32 addition can wrap, take the int32 path. */
/* Variant of qs8-vmul-u16-avx2.c: one file per ISA, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-vmul/qs8-vmul.h"

typedef struct {
  int8x16_t a_zp, b_zp, lo8, hi8;
  int16x8_t zp16;
  int32x4_t mult, ls, rs, zm;
  int32x4_t shift, zp, lo, hi; /* int32 path */
} consts;

static inline int32x4_t rq_right(int32x4_t x, const consts* c) { return eq_neon_mbqm_double_right(x, c->mult, c->rs); }
static inline int32x4_t rq_any(int32x4_t x, const consts* c) {
  return eq_neon_mbqm_double_pre(x, c->mult, c->ls, c->rs, c->zm);
}

/* clamp = 0 where the output range is all of int8: the saturating narrow is the clamp */
static inline int8x16_t narrow16(int32x4_t r0, int32x4_t r1, int32x4_t r2, int32x4_t r3, const consts* c,
                                 int clamp) {
  const int16x8_t l = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(r0), r1), c->zp16);
  const int16x8_t h = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(r2), r3), c->zp16);
  const int8x16_t v = vqmovn_high_s16(vqmovn_s16(l), h);
  return clamp ? vminq_s8(vmaxq_s8(v, c->lo8), c->hi8) : v;
}

#define MUL16(RQ, NAME, CLAMP)                                                                      \
  static inline int8x16_t NAME(int8x16_t a, int8x16_t b, const consts* c) {                         \
    const int16x8_t xl = vsubl_s8(vget_low_s8(a), vget_low_s8(c->a_zp)), xh = vsubl_high_s8(a, c->a_zp); \
    const int16x8_t yl = vsubl_s8(vget_low_s8(b), vget_low_s8(c->b_zp)), yh = vsubl_high_s8(b, c->b_zp); \
    return narrow16(RQ(vmull_s16(vget_low_s16(xl), vget_low_s16(yl)), c), RQ(vmull_high_s16(xl, yl), c),  \
                    RQ(vmull_s16(vget_low_s16(xh), vget_low_s16(yh)), c), RQ(vmull_high_s16(xh, yh), c), c, \
                    CLAMP);                                                                         \
  }
MUL16(rq_right, mul16_rq_right, 1)
MUL16(rq_any, mul16_rq_any, 1)
MUL16(rq_right, mul16_rq_right_nc, 0)
MUL16(rq_any, mul16_rq_any_nc, 0)

/* int32 path (left shifts > 15): zero point added and clamped in int32, as the reference does */
static inline int16x4_t rq_wide(int32x4_t prod, const consts* c) {
  const int32x4_t r = vaddq_s32(eq_neon_mbqm_double(prod, c->mult, c->shift), c->zp);
  return vmovn_s32(vminq_s32(vmaxq_s32(r, c->lo), c->hi)); /* clamped: narrowing only */
}

static inline int8x16_t mul16_wide(int8x16_t a, int8x16_t b, const consts* c) {
  const int16x8_t xl = vsubl_s8(vget_low_s8(a), vget_low_s8(c->a_zp)), xh = vsubl_high_s8(a, c->a_zp);
  const int16x8_t yl = vsubl_s8(vget_low_s8(b), vget_low_s8(c->b_zp)), yh = vsubl_high_s8(b, c->b_zp);
  const int16x8_t l = vcombine_s16(rq_wide(vmull_s16(vget_low_s16(xl), vget_low_s16(yl)), c),
                                   rq_wide(vmull_high_s16(xl, yl), c));
  const int16x8_t h = vcombine_s16(rq_wide(vmull_s16(vget_low_s16(xh), vget_low_s16(yh)), c),
                                   rq_wide(vmull_high_s16(xh, yh), c));
  return vcombine_s8(vmovn_s16(l), vmovn_s16(h));
}

#define RUN(F)                                                                                       \
  do {                                                                                               \
    for (; i + 16 <= n; i += 16) vst1q_s8(out + i, F(vld1q_s8(a + i), vld1q_s8(b + i), &c));        \
    if (i < n) { /* tail through a small buffer: never touch memory past the tensors */             \
      int8_t ta[16] = {0}, tb[16] = {0}, to[16];                                                     \
      memcpy(ta, a + i, n - i);                                                                      \
      memcpy(tb, b + i, n - i);                                                                      \
      vst1q_s8(to, F(vld1q_s8(ta), vld1q_s8(tb), &c));                                               \
      memcpy(out + i, to, n - i);                                                                    \
    }                                                                                                \
  } while (0)

void qs8_vmul_u16_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  const int32_t ls = p->shift > 0 ? p->shift : 0, rs = p->shift < 0 ? p->shift : 0;
  const consts c = {vdupq_n_s8((int8_t)-p->a_offset), vdupq_n_s8((int8_t)-p->b_offset),
                    vdupq_n_s8((int8_t)p->out_min), vdupq_n_s8((int8_t)p->out_max),
                    vdupq_n_s16((int16_t)p->out_zp), vdupq_n_s32(p->mult), vdupq_n_s32(ls), vdupq_n_s32(rs),
                    vdupq_n_s32(rs == 0 ? -1 : 0), vdupq_n_s32(p->shift), vdupq_n_s32(p->out_zp),
                    vdupq_n_s32(p->out_min), vdupq_n_s32(p->out_max)};
  size_t i = 0;
  const int clamp = p->out_min > -128 || p->out_max < 127;
  if (p->shift < 0 && clamp)
    RUN(mul16_rq_right);
  else if (p->shift < 0)
    RUN(mul16_rq_right_nc);
  else if (p->shift <= 15 && clamp)
    RUN(mul16_rq_any);
  else if (p->shift <= 15)
    RUN(mul16_rq_any_nc);
  else
    RUN(mul16_wide);
}
