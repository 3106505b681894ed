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

#define main vbinary_main
EQ_VBINARY_TEST_MAIN(qs8_add_params, qs8_vadd_fn, qs8_vadd_for_isa, qs8_vadd_u1_scalar)
#undef main

/* Every (a, b) pair, 65536 outputs in one call, for random parameters of the kinds above: where a kernel
 * computes outputs in another form that it proves equal away from rounding ties and redoes the rest
 * (qs8-vadd-u16-avx512skx's fp32 expression), each pair is a point where the proof or the tie test may fail. */
static long all_pairs(qs8_vadd_fn f, int cases) {
  enum { N = 65536 };
  int8_t *a = malloc(N), *b = malloc(N), *ref = malloc(N), *out = malloc(N);
  if (!a || !b || !ref || !out) return 1;
  for (int i = 0; i < N; ++i) a[i] = (int8_t)(i & 255), b[i] = (int8_t)(i >> 8);
  long bad = 0;
  rng_state = 0x9E3779B97F4A7C15ull;
  for (int c = 0; c < cases; ++c) {
    qs8_add_params p;
    make_params(&p, c);
    if (c % 4 == 3) { /* scales in simple ratios (equal inputs, output 1/2, 2 or 4 times them): sums land on ties */
      const float s0 = rscale(), so = s0 * (float)(c % 3 == 0 ? 0.5 : c % 3 == 1 ? 2 : 4);
      int sh;
      eq_quantize_multiplier(0.5, &p.a_mult, &sh), p.a_shift = sh;
      eq_quantize_multiplier(0.5, &p.b_mult, &sh), p.b_shift = sh;
      eq_quantize_multiplier(2.0 * s0 / ((double)(1 << 20) * so), &p.out_mult, &sh), p.out_shift = sh;
      if (c % 8 == 7) p.b_mult = -p.b_mult;
    }
    qs8_vadd_u1_scalar(N, a, b, ref, &p);
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
    qs8_vadd_fn f = qs8_vadd_for_isa(isas[v]);
    if (!f) continue;
    const long bad = all_pairs(f, 200);
    printf("all pairs isa=%s cases=200 outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), 200L * 65536, bad);
    if (bad) rc = 1;
  }
  return rc;
}
