/* Every ADD variant this CPU can run against the scalar kernel, byte for byte, over random
 * lengths (tails included), zero points, multipliers as add.cc's Prepare derives them from
 * random scales, and clamp ranges. One line per variant; exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/requant.h"
#include "qs8-vadd/qs8-vadd.h"

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rscale(void) { return (float)(1e-3 + (rnd() % 100000) * 1e-6); }

static void make_params(qs8_add_params* p) {
  const float sa = rscale(), sb = rscale(), so = rscale() * (float)(1 + rnd() % 4);
  const double twice_max = 2.0 * (sa > sb ? sa : sb);
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
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    qs8_vadd_fn f = qs8_vadd_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      qs8_add_params p;
      make_params(&p);
      const size_t n = (size_t)rint_in(1, 700);
      int8_t *a = malloc(n), *b = malloc(n), *ref = malloc(n), *out = malloc(n + 8);
      for (size_t i = 0; i < n; ++i) {
        a[i] = (int8_t)rnd();
        b[i] = (int8_t)(c % 10 == 9 ? (i & 1 ? 127 : -128) : (int8_t)rnd());
      }
      memset(out, 0x5A, n + 8);
      qs8_vadd_u1_scalar(n, a, b, ref, &p);
      f(n, a, b, out, &p);
      for (size_t i = 0; i < n; ++i) bad += out[i] != ref[i];
      for (size_t i = n; i < n + 8; ++i) bad += out[i] != 0x5A; /* nothing written past the end */
      outputs += (long)n;
      free(a); free(b); free(ref); free(out);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
