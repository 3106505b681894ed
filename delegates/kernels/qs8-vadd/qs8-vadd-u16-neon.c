/* aarch64 NEON ADD: 16 elements per step. Inputs minus their zero points by ssubl (int16), widened
 * and shifted left by left_shift, each rescaled with SmallerThanOneExp's double rounding split once
 * per call (sqrdmulh, a sign correction where the shift is non-zero, srshl: exact for the right
 * shifts add.cc's Prepare gives), summed, rescaled to the output; then XNNPACK's saturating narrows
 * (int16 + zero point, int8, clamp), equal to the reference's int32 add and clamp because
 * |sum| < 2^29 here (|x - zp| <= 255, scaled by at most 2^20 * 2 / 2). */
/* The usual case is cheaper: add.cc rescales the input of the larger scale by exactly 1/2
 * (multiplier 2^30, shift 0), and SaturatingRoundingDoublingHighMul(x << 20, +-2^30) is exactly
 * +-(x << 19) (the product's low 31 bits are zero), so that input needs no rounding step: it is
 * added as (x << 5) * +-2^14 by one smlal per four lanes. With the other two shifts negative (the
 * sign fixup then always applies), 55 instructions per 16 outputs instead of 85.
 * Variant of qs8-vadd-u8-avx2.c: one file per ISA, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "qs8-vadd/qs8-vadd.h"

typedef struct {
  int8x16_t a_zp, b_zp, lo8, hi8;
  int16x8_t zp16;
  int32x4_t ls, am, as, az, bm, bs, bz, om, os, oz; /* multiplier, -right shift, all ones where it is 0 */
} consts;

/* RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, m), -s): srshl rounds ties up, so
 * negative x drop by one first where the shift is non-zero (x - 1 cannot wrap: |x| < 2^30 here) */
static inline int32x4_t rq(int32x4_t x, int32x4_t m, int32x4_t s, int32x4_t z) {
  x = vqrdmulhq_s32(x, m);
  return vrshlq_s32(vsraq_n_s32(x, vbicq_s32(x, z), 31), s);
}

static inline int32x4_t sum4(int16x4_t a, int16x4_t b, const consts* c) {
  const int32x4_t x = rq(vshlq_s32(vmovl_s16(a), c->ls), c->am, c->as, c->az);
  const int32x4_t y = rq(vshlq_s32(vmovl_s16(b), c->ls), c->bm, c->bs, c->bz);
  return rq(vaddq_s32(x, y), c->om, c->os, c->oz);
}

static inline int16x8_t half(int16x8_t a, int16x8_t b, const consts* c) {
  const int32x4_t l = sum4(vget_low_s16(a), vget_low_s16(b), c), h = sum4(vget_high_s16(a), vget_high_s16(b), c);
  return vqaddq_s16(vqmovn_high_s32(vqmovn_s32(l), h), c->zp16);
}

/* clamp = 0 where the output range is all of int8: the saturating narrow is the clamp */
static inline int8x16_t add16(int8x16_t a, int8x16_t b, const consts* c, int clamp) {
  const int16x8_t l = half(vsubl_s8(vget_low_s8(a), vget_low_s8(c->a_zp)), vsubl_s8(vget_low_s8(b), vget_low_s8(c->b_zp)), c);
  const int16x8_t h = half(vsubl_high_s8(a, c->a_zp), vsubl_high_s8(b, c->b_zp), c);
  const int8x16_t v = vqmovn_high_s16(vqmovn_s16(l), h);
  return clamp ? vminq_s8(vmaxq_s8(v, c->lo8), c->hi8) : v;
}

/* Inputs already minus their zero points (int16); a is the exactly-halved input with factor k
 * (+-2^14 after a's << 5), b the rescaled one (multiplier bm, shift bs < 0); out shift os < 0. */
typedef struct {
  int8x16_t a_zp, b_zp, lo8, hi8;
  int16x8_t zp16;
  int16x4_t k;
  int32x4_t bm, bs, om, os;
} half_consts;

static inline int32x4_t rq_right(int32x4_t x, int32x4_t m, int32x4_t s) {
  x = vqrdmulhq_s32(x, m);
  return vrshlq_s32(vsraq_n_s32(x, x, 31), s);
}

static inline int16x8_t half8(int16x8_t a, int16x8_t b, const half_consts* c) {
  a = vshlq_n_s16(a, 5); /* |a| <= 255: a << 5 fits int16 */
  b = vshlq_n_s16(b, 5);
  int32x4_t l = rq_right(vshll_n_s16(vget_low_s16(b), 15), c->bm, c->bs); /* b << 20 */
  int32x4_t h = rq_right(vshll_high_n_s16(b, 15), c->bm, c->bs);
  l = vmlal_s16(l, vget_low_s16(a), c->k); /* + +-(a << 19) */
  h = vmlal_high_s16(h, a, vcombine_s16(c->k, c->k));
  l = rq_right(l, c->om, c->os);
  h = rq_right(h, c->om, c->os);
  return vqaddq_s16(vqmovn_high_s32(vqmovn_s32(l), h), c->zp16);
}

static inline int8x16_t add16_half(int8x16_t a, int8x16_t b, const half_consts* c, int clamp) {
  const int16x8_t l = half8(vsubl_s8(vget_low_s8(a), vget_low_s8(c->a_zp)), vsubl_s8(vget_low_s8(b), vget_low_s8(c->b_zp)), c);
  const int16x8_t h = half8(vsubl_high_s8(a, c->a_zp), vsubl_high_s8(b, c->b_zp), c);
  const int8x16_t v = vqmovn_high_s16(vqmovn_s16(l), h);
  return clamp ? vminq_s8(vmaxq_s8(v, c->lo8), c->hi8) : v;
}

/* n elements; the loop and the tail through a small buffer (never touching memory past the tensors) */
#define VADD_RUN(F, C, CLAMP)                                                                        \
  do {                                                                                               \
    size_t i = 0;                                                                                    \
    for (; i + 16 <= n; i += 16) vst1q_s8(out + i, F(vld1q_s8(a + i), vld1q_s8(b + i), C, CLAMP));  \
    if (i < n) {                                                                                     \
      int8_t ta[16] = {0}, tb[16] = {0}, to[16];                                                     \
      memcpy(ta, a + i, n - i);                                                                      \
      memcpy(tb, b + i, n - i);                                                                      \
      vst1q_s8(to, F(vld1q_s8(ta), vld1q_s8(tb), C, CLAMP));                                         \
      memcpy(out + i, to, n - i);                                                                    \
    }                                                                                                \
  } while (0)

static int halved(int32_t mult, int32_t shift) { return (mult == (1 << 30) || mult == -(1 << 30)) && shift == 0; }

/* The exactly-halved fast path, when the parameters allow it (returns 0 otherwise). */
static int vadd_half(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  if (p->left_shift != 20 || p->out_shift >= 0) return 0;
  int32_t a_off = p->a_offset, b_off = p->b_offset, a_mult = p->a_mult, b_mult = p->b_mult, b_shift = p->b_shift;
  if (!halved(a_mult, p->a_shift)) { /* the sum is symmetric: make a the halved input */
    if (!halved(b_mult, b_shift)) return 0;
    const int8_t* t = a;
    a = b, b = t;
    a_off = p->b_offset, b_off = p->a_offset, a_mult = p->b_mult, b_mult = p->a_mult, b_shift = p->a_shift;
  }
  if (b_shift >= 0) return 0;
  const half_consts c = {vdupq_n_s8((int8_t)-a_off), vdupq_n_s8((int8_t)-b_off),
                         vdupq_n_s8((int8_t)p->out_min), vdupq_n_s8((int8_t)p->out_max),
                         vdupq_n_s16((int16_t)p->out_zp), vdup_n_s16(a_mult > 0 ? 1 << 14 : -(1 << 14)),
                         vdupq_n_s32(b_mult), vdupq_n_s32(b_shift), vdupq_n_s32(p->out_mult), vdupq_n_s32(p->out_shift)};
  if (p->out_min > -128 || p->out_max < 127)
    VADD_RUN(add16_half, &c, 1);
  else
    VADD_RUN(add16_half, &c, 0);
  return 1;
}

void qs8_vadd_u16_neon(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  if (vadd_half(n, a, b, out, p)) return;
  const consts c = {vdupq_n_s8((int8_t)-p->a_offset), vdupq_n_s8((int8_t)-p->b_offset),
                    vdupq_n_s8((int8_t)p->out_min), vdupq_n_s8((int8_t)p->out_max), vdupq_n_s16((int16_t)p->out_zp),
                    vdupq_n_s32(p->left_shift),
                    vdupq_n_s32(p->a_mult), vdupq_n_s32(p->a_shift), vdupq_n_s32(p->a_shift == 0 ? -1 : 0),
                    vdupq_n_s32(p->b_mult), vdupq_n_s32(p->b_shift), vdupq_n_s32(p->b_shift == 0 ? -1 : 0),
                    vdupq_n_s32(p->out_mult), vdupq_n_s32(p->out_shift), vdupq_n_s32(p->out_shift == 0 ? -1 : 0)};
  if (p->out_min > -128 || p->out_max < 127)
    VADD_RUN(add16, &c, 1);
  else
    VADD_RUN(add16, &c, 0);
}
