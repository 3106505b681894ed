/* Every PRELU variant against the scalar kernel (base/test/vbinary-test.h: a = the input x, b = alpha),
 * with multipliers from random scales as prelu.cc's Prepare derives them: the positive branch's
 * x_scale / out_scale near 1 and the negative branch's x_scale * alpha_scale / out_scale small, plus
 * any shift in [-31, 31] for either (left shifts past 15 on the negative branch take NEON's scalar
 * path; shift 31 makes the reference's int32 arithmetic wrap); input zero points over the whole int8
 * range, so the NEON positive-branch table takes 1 to 4 blocks (-128: 256 entries; 127: one). */
#include <math.h>

#include "base/requant.h"
#include "base/test/vbinary-test.h"
#include "qs8-vprelu/qs8-vprelu.h"

static void make_params(qs8_prelu_params* p, int c) {
  int s;
  const int wide = c % 3 == 2; /* any shift for both branches */
  const double pos = ldexp(0.5 + (rnd() % 1000000) * 5e-7, wide ? rint_in(-40, 30) : rint_in(-2, 2));
  const double neg = ldexp(0.5 + (rnd() % 1000000) * 5e-7, wide ? rint_in(-40, 30) : rint_in(-16, -4));
  eq_quantize_multiplier(c % 7 == 0 ? ldexp(1.0, -rint_in(1, 31)) : pos, &p->mult_pos, &s); /* powers of two: ties */
  p->shift_pos = s;
  eq_quantize_multiplier(c % 5 == 0 ? ldexp(1.0, -rint_in(1, 31)) : neg, &p->mult_neg, &s);
  p->shift_neg = s;
  p->x_offset = -(c % 13 == 3 ? -128 : c % 13 == 4 ? 127 : rint_in(-128, 127));
  p->alpha_offset = -rint_in(-128, 127);
  p->out_zp = rint_in(-128, 127);
  if (c % 11 == 5) { /* shift 31, multiplier near 2^31 on one branch: the int32 arithmetic wraps */
    if (c % 2) p->mult_pos = INT32_MAX - rint_in(0, 60), p->shift_pos = 31;
    else p->mult_neg = INT32_MAX - rint_in(0, 60), p->shift_neg = 31;
  }
  qs8_vprelu_init_table(p);
}

EQ_VBINARY_TEST_MAIN(qs8_prelu_params, qs8_vprelu_fn, qs8_vprelu_for_isa, qs8_vprelu_scalar)
