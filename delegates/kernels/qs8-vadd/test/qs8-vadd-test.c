/* Every ADD variant against the scalar kernel (base/test/vbinary-test.h), with multipliers as
 * add.cc's Prepare derives them from random scales. */
#include "base/requant.h"
#include "base/test/vbinary-test.h"
#include "qs8-vadd/qs8-vadd.h"

static float rscale(void) { return (float)(1e-3 + (rnd() % 100000) * 1e-6); }

static void make_params(qs8_add_params* p, int c) {
  /* every fifth case an output scale far below the inputs': sums past int16 that must clamp */
  const float sa = rscale(), sb = c % 7 == 2 ? sa : rscale(), so = rscale() * (c % 5 == 1 ? 1e-3f : (float)(1 + rnd() % 4));
  /* every seventh case equal input scales (both exactly halved), every seventh neither (not what
   * add.cc gives): the NEON general path */
  const double twice_max = (c % 7 == 4 ? 2.5 : 2.0) * (sa > sb ? sa : sb);
  int s;
  p->left_shift = 20;
  eq_quantize_multiplier(sa / twice_max, &p->a_mult, &s); p->a_shift = s;
  eq_quantize_multiplier(sb / twice_max, &p->b_mult, &s); p->b_shift = s;
  eq_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &p->out_mult, &s); p->out_shift = s;
  p->a_offset = -rint_in(-128, 127);
  p->b_offset = -rint_in(-128, 127);
  p->out_zp = rint_in(-128, 127);
  p->out_min = rint_in(-128, 0);
  p->out_max = rint_in(p->out_min, 127);
  if (c % 3 == 0) p->b_mult = -p->b_mult; /* SUB: the second input's multiplier negated */
}

EQ_VBINARY_TEST_MAIN(qs8_add_params, qs8_vadd_fn, qs8_vadd_for_isa, qs8_vadd_u1_scalar)
