/* Every MUL variant against the scalar kernel (base/test/vbinary-test.h), with multipliers from
 * random scale products as mul.cc's Prepare derives them (right shifts to -31 and left shifts to 31). */
#include <math.h>

#include "base/requant.h"
#include "base/test/vbinary-test.h"
#include "qs8-vmul/qs8-vmul.h"

static void make_params(qs8_mul_params* p, int c) {
  /* real multiplier 2^e * (0.5..1): e over [-40, 30] covers right shifts past -31 (zeroed, as
   * QuantizeMultiplier does), typical ones and left shifts up to 31 */
  const double real = ldexp(0.5 + (rnd() % 1000000) * 5e-7, rint_in(-40, 30));
  int s;
  eq_quantize_multiplier(c % 7 == 0 ? ldexp(1.0, -rint_in(1, 31)) : real, &p->mult, &s); /* exact powers of two: ties */
  p->shift = s;
  p->a_offset = -rint_in(-128, 127);
  p->b_offset = -rint_in(-128, 127);
  p->out_zp = rint_in(-128, 127);
  p->out_min = rint_in(-128, 0);
  p->out_max = rint_in(p->out_min, 127);
  if (c % 4 == 1) p->out_min = -128, p->out_max = 127; /* no clamp: the saturating narrow clamps */
  if (c % 11 == 5) { /* shift 31, multiplier near 2^31: the reference's int32 "+ zero point" wraps */
    p->mult = INT32_MAX - rint_in(0, 60);
    p->shift = 31;
    p->out_zp = rint_in(-128, -70);
  }
}

EQ_VBINARY_TEST_MAIN(qs8_mul_params, qs8_vmul_fn, qs8_vmul_for_isa, qs8_vmul_scalar)
