/* Every MEAN row-reduction variant this CPU can run against the scalar kernel, byte for byte:
 * random [outer][reduce][inner] blocks and channel ranges (NEON tiles of 16 and 8 plus a scalar rest, AVX-512 tiles of 64 with a masked rest),
 * reductions past 256 rows (the int16 partial sums), inputs all -128 or all 127, zero points, and
 * multipliers from 1/count times a random scale ratio (right and a few left shifts). One line per
 * variant; exit status 1 on any mismatch. Then the row split (qs8_mean_rd_add_rows into parts,
 * added up, qs8_mean_rd_requant) against the whole-block scalar kernel on the same cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/requant.h"
#include "qs8-mean/qs8-mean.h"
#include "base/test/rng.h"

/* zero points anywhere, a scale of 2^-6 .. 2^6 / count (left and right shifts) */
static qs8_mean_params random_params(size_t reduce) {
  qs8_mean_params p;
  memset(&p, 0, sizeof(p));
  p.count = (int32_t)reduce;
  p.in_zp = rint_in(-128, 127);
  p.out_zp = rint_in(-128, 127);
  int s;
  eq_quantize_multiplier(ldexp(0.5 + (rnd() % 1000000) * 5e-7, rint_in(-6, 6)) / (double)reduce, &p.mult, &s);
  p.shift = s;
  return p;
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX512, EDGEQ_ISA_NEON};
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    qs8_mean_rd_channels_fn f = qs8_mean_rd_channels_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      const size_t outer = (size_t)rint_in(1, 3), inner = (size_t)rint_in(1, 90);
      const size_t reduce = (size_t)(c % 6 == 0 ? rint_in(250, 700) : rint_in(1, 80));
      const size_t c0 = c % 3 ? 0 : (size_t)rint_in(0, (int)inner - 1), c1 = c % 4 ? inner : (size_t)rint_in((int)c0, (int)inner);
      const qs8_mean_params p = random_params(reduce);
      const size_t n = outer * reduce * inner;
      int8_t* x = malloc(n);
      for (size_t i = 0; i < n; ++i) x[i] = (int8_t)(c % 10 == 4 ? -128 : c % 10 == 5 ? 127 : (int)rnd());
      int8_t *ref = malloc(outer * inner), *out = malloc(outer * inner);
      int32_t* sums = malloc(sizeof(int32_t) * inner);
      memset(ref, 0x5A, outer * inner);
      memset(out, 0x5A, outer * inner);
      qs8_mean_rd_channels(&p, outer, reduce, inner, c0, c1, x, ref, sums);
      f(&p, outer, reduce, inner, c0, c1, x, out, sums);
      for (size_t i = 0; i < outer * inner; ++i) bad += out[i] != ref[i]; /* untouched channels too */
      outputs += (long)(outer * (c1 - c0));
      free(x); free(ref); free(out); free(sums);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  rng_state = 0x2545F4914F6CDD1Dull;
  long bad = 0, outputs = 0;
  for (int c = 0; c < cases; ++c) {
    const size_t inner = (size_t)rint_in(1, 90), parts = (size_t)rint_in(1, 9);
    const size_t reduce = (size_t)(c % 6 == 0 ? rint_in(250, 700) : rint_in(1, 80));
    const qs8_mean_params p = random_params(reduce);
    int8_t* x = malloc(reduce * inner);
    for (size_t i = 0; i < reduce * inner; ++i) x[i] = (int8_t)(c % 10 == 4 ? -128 : c % 10 == 5 ? 127 : (int)rnd());
    int8_t *ref = malloc(inner), *out = malloc(inner);
    int32_t *sums = malloc(sizeof(int32_t) * inner), *total = calloc(inner, sizeof(int32_t));
    qs8_mean_rd_channels(&p, 1, reduce, inner, 0, inner, x, ref, sums);
    for (size_t t = parts; t-- > 0;) { /* parts in reverse order: any order adds up the same */
      memset(sums, 0, sizeof(int32_t) * inner);
      qs8_mean_rd_add_rows(reduce * t / parts, reduce * (t + 1) / parts, inner, x, sums);
      for (size_t i = 0; i < inner; ++i) total[i] = (int32_t)((uint32_t)total[i] + (uint32_t)sums[i]);
    }
    qs8_mean_rd_requant(&p, inner, total, out);
    for (size_t i = 0; i < inner; ++i) bad += out[i] != ref[i];
    outputs += (long)inner;
    free(x); free(ref); free(out); free(sums); free(total);
  }
  printf("row split cases=%d outputs=%ld mismatches=%ld\n", cases, outputs, bad);
  bad_total += bad;
  return bad_total ? 1 : 0;
}
