/* aarch64 NEON PRELU: 16 elements per step. Positive inputs (x >= x_zp) read their output from the
 * params' table by TBL/TBX (index x - x_zp, one 64-byte block per 64 entries: 1..4 lookups, the
 * table depends on x alone); negative ones take MUL's path (qs8-vmul-u16-neon.c): x - x_zp and
 * alpha - alpha_zp by ssubl (int16, exact), exact int32 products by smull, double rounding with the
 * shift split once per call (three instructions per 4 lanes for a right shift), then saturating
 * narrows with the zero point added in int16 (the reference's int32 add and clamp while |product <<
 * shift| < 2^31 - 128: shift <= 15, |product| <= 255 * 255); a larger left shift takes the scalar
 * kernel. A bit select per byte picks the branch. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-vprelu/qs8-vprelu.h"

typedef struct {
  int8x16_t x_zp, a_zp;
  uint8x16_t c64;
  int16x8_t zp16;
  int32x4_t mult, ls, rs, zm;
  int8x16x4_t t0, t1, t2, t3;
} consts;

static inline int32x4_t rq_right(int32x4_t x, const consts* c) { return eq_neon_mbqm_double_right(x, c->mult, c->rs); }
static inline int32x4_t rq_any(int32x4_t x, const consts* c) {
  return eq_neon_mbqm_double_pre(x, c->mult, c->ls, c->rs, c->zm);
}

#define NEG16(RQ)                                                                                        \
  static inline int8x16_t neg16_##RQ(int8x16_t x, int8x16_t a, const consts* c) {                        \
    const int16x8_t xl = vsubl_s8(vget_low_s8(x), vget_low_s8(c->x_zp)), xh = vsubl_high_s8(x, c->x_zp); \
    const int16x8_t al = vsubl_s8(vget_low_s8(a), vget_low_s8(c->a_zp)), ah = vsubl_high_s8(a, c->a_zp); \
    const int32x4_t r0 = RQ(vmull_s16(vget_low_s16(xl), vget_low_s16(al)), c);                          \
    const int32x4_t r1 = RQ(vmull_high_s16(xl, al), c);                                                  \
    const int32x4_t r2 = RQ(vmull_s16(vget_low_s16(xh), vget_low_s16(ah)), c);                          \
    const int32x4_t r3 = RQ(vmull_high_s16(xh, ah), c);                                                  \
    const int16x8_t l = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(r0), r1), c->zp16);                        \
    const int16x8_t h = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(r2), r3), c->zp16);                        \
    return vqmovn_high_s16(vqmovn_s16(l), h);                                                            \
  }
NEG16(rq_right)
NEG16(rq_any)

/* the positive branch: nt (1..4, a constant where inlined) table blocks */
static inline int8x16_t pos16(int8x16_t x, const consts* c, int nt) {
  uint8x16_t u = vreinterpretq_u8_s8(vsubq_s8(x, c->x_zp));
  int8x16_t t = vqtbl4q_s8(c->t0, u);
  if (nt > 1) t = vqtbx4q_s8(t, c->t1, u = vsubq_u8(u, c->c64));
  if (nt > 2) t = vqtbx4q_s8(t, c->t2, u = vsubq_u8(u, c->c64));
  if (nt > 3) t = vqtbx4q_s8(t, c->t3, vsubq_u8(u, c->c64));
  return t;
}

#define PRELU16(RQ, NT)                                                                    \
  static inline int8x16_t prelu16_##RQ##_##NT(int8x16_t x, int8x16_t a, const consts* c) { \
    return vbslq_s8(vcgeq_s8(x, c->x_zp), pos16(x, c, NT), neg16_##RQ(x, a, c));           \
  }
PRELU16(rq_right, 1)
PRELU16(rq_right, 2)
PRELU16(rq_right, 3)
PRELU16(rq_right, 4)
PRELU16(rq_any, 1)
PRELU16(rq_any, 2)
PRELU16(rq_any, 3)
PRELU16(rq_any, 4)

#define RUN(F)                                                                                       \
  do {                                                                                               \
    for (; i + 16 <= n; i += 16) vst1q_s8(out + i, F(vld1q_s8(x + i), vld1q_s8(alpha + i), &c));    \
    if (i < n) { /* tail through a small buffer: never touch memory past the tensors */             \
      int8_t tx[16] = {0}, ta[16] = {0}, to[16];                                                     \
      memcpy(tx, x + i, n - i);                                                                      \
      memcpy(ta, alpha + i, n - i);                                                                  \
      vst1q_s8(to, F(vld1q_s8(tx), vld1q_s8(ta), &c));                                               \
      memcpy(out + i, to, n - i);                                                                    \
    }                                                                                                \
  } while (0)

#define RUN_NT(RQ)            \
  switch (p->pos_tables) {    \
    case 1: RUN(prelu16_##RQ##_1); break; \
    case 2: RUN(prelu16_##RQ##_2); break; \
    case 3: RUN(prelu16_##RQ##_3); break; \
    default: RUN(prelu16_##RQ##_4); break; \
  }

void qs8_vprelu_u16_neon(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p) {
  if (p->shift_neg > 15) {
    qs8_vprelu_scalar(n, x, alpha, out, p);
    return;
  }
  const int32_t ls = p->shift_neg > 0 ? p->shift_neg : 0, rs = p->shift_neg < 0 ? p->shift_neg : 0;
  const int8_t* t = p->pos_table;
  const consts c = {vdupq_n_s8((int8_t)-p->x_offset),
                    vdupq_n_s8((int8_t)-p->alpha_offset),
                    vdupq_n_u8(64),
                    vdupq_n_s16((int16_t)p->out_zp),
                    vdupq_n_s32(p->mult_neg),
                    vdupq_n_s32(ls),
                    vdupq_n_s32(rs),
                    vdupq_n_s32(rs == 0 ? -1 : 0),
                    vld1q_s8_x4(t),
                    vld1q_s8_x4(t + 64),
                    vld1q_s8_x4(t + 128),
                    vld1q_s8_x4(t + 192)};
  size_t i = 0;
  if (p->shift_neg < 0) {
    RUN_NT(rq_right)
  } else {
    RUN_NT(rq_any)
  }
}
