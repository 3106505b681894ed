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
  if (c % 4 == 1) p->out_min = -128, p->out_max = 127; /* no clamp: the saturating narrow clamps */
  if (c % 13 == 6) {
    /* input rescales seen directly: an identity output rescale (multiplier 2^31 - 1, shift 0: exact
     * below 2^30) and inputs scaled to a few steps, so an input rescale one off at a tie changes the
     * output (elsewhere the output rescale's 2^-20 hides it): multiplier 2^30 with rs 20-24 (ties of
     * the rounding shift on every other v), any multiplier with rs 20-24, or a small multiplier
     * 1024 + 2048 j with rs 0-2 (ties of the doubling high multiply: v * m / 2^11 = v (j + 1/2)) */
    for (int i = 0; i < 2; ++i) {
      int32_t* m = i ? &p->b_mult : &p->a_mult;
      int32_t* sh = i ? &p->b_shift : &p->a_shift;
      switch ((c / 13 + i) % 3) {
        case 0: *m = 1 << 30, *sh = -rint_in(20, 24); break;
        case 1: *m = (int32_t)((1u << 30) + (rnd() % (1u << 30))), *sh = -rint_in(20, 24); break;
        default: *m = 1024 + 2048 * rint_in(0, 2), *sh = -rint_in(0, 2); break;
      }
    }
    p->out_mult = INT32_MAX;
    p->out_shift = 0;
    p->out_zp = rint_in(-20, 20);
    p->out_min = -128;
    p->out_max = 127;
  }
  if (c % 3 == 0) p->b_mult = -p->b_mult; /* SUB: the second input's multiplier negated */
}

EQ_VBINARY_TEST_MAIN(qs8_add_params, qs8_vadd_fn, qs8_vadd_for_isa, qs8_vadd_u1_scalar)
