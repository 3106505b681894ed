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

#define main vbinary_main
EQ_VBINARY_TEST_MAIN(qs8_mul_params, qs8_vmul_fn, qs8_vmul_for_isa, qs8_vmul_scalar)
#undef main

/* Every (a, b) pair, 65536 outputs in one call, for 200 random parameter sets with right shifts of 1-20 (the
 * AVX-512 kernel's fp32 form, which it proves exact away from rounding boundaries and redoes near them): a
 * quarter with multipliers 2^30 + a few low bits (products land on or next to the boundaries). */
static long all_pairs(qs8_vmul_fn f, int cases) {
  enum { N = 65536 };
  int8_t *a = malloc(N), *b = malloc(N), *ref = malloc(N), *out = malloc(N);
  if (!a || !b || !ref || !out) return 1;
  for (int i = 0; i < N; ++i) a[i] = (int8_t)(i & 255), b[i] = (int8_t)(i >> 8);
  long bad = 0;
  rng_state = 0x9E3779B97F4A7C15ull;
  for (int c = 0; c < cases; ++c) {
    qs8_mul_params p;
    make_params(&p, c);
    p.shift = -rint_in(1, 20);
    p.mult = c % 4 == 3 ? (1 << 30) + rint_in(0, 3) : (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFF));
    qs8_vmul_scalar(N, a, b, ref, &p);
    f(N, a, b, out, &p);
    for (int i = 0; i < N; ++i) bad += out[i] != ref[i];
  }
  free(a), free(b), free(ref), free(out);
  return bad;
}

int main(int argc, char** argv) {
  int rc = vbinary_main(argc, argv);
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512, EDGEQ_ISA_NEON};
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    qs8_vmul_fn f = qs8_vmul_for_isa(isas[v]);
    if (!f) continue;
    const long bad = all_pairs(f, 200);
    printf("all pairs isa=%s cases=200 outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), 200L * 65536, bad);
    if (bad) rc = 1;
  }
  return rc;
}
