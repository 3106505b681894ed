/* Every table-softmax variant this CPU runs (scalar, avx2, neon) against qs8_softmax (the reference
 * arithmetic per element), byte for byte, over random row lengths, input multipliers as SoftmaxPrepare derives them from
 * beta * input_scale (from tiny to large), the diff_min cut-off, rows of equal values (up to 600
 * classes: the exponent > 31 path), extreme inputs, and in place. One line per variant; exit status 1 on
 * any mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/requant.h"
#include "qs8-softmax/qs8-softmax.h"
#include "base/test/rng.h"


/* PreprocessSoftmaxScaling with 5 integer bits and CalculateInputRadius, as softmax.cc does */
static void make_params(qs8_softmax_params* p, double beta_scale) {
  const double max_real = fmin(beta_scale * (double)(1 << 26), 2147483647.0);
  int32_t mult;
  int shift;
  eq_quantize_multiplier(max_real, &mult, &shift);
  p->input_multiplier = mult;
  p->input_left_shift = shift;
  const double radius = 31.0 * (double)(1LL << (31 - 5)) / ldexp(1.0, shift); /* (2^5-1) * 2^(31-5) / 2^shift */
  p->diff_min = -(int32_t)floor(radius);
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_SCALAR, EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  long bad_total = 0;
  qs8_softmax_table t;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    qs8_softmax_lut_fn f = qs8_softmax_lut_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      qs8_softmax_params p;
      make_params(&p, ldexp(0.5 + (rnd() % 1000) * 5e-4, rint_in(-25, 4)));
      p.outer = rint_in(1, 5);
      p.depth = c % 9 == 0 ? rint_in(500, 600) : rint_in(1, 300);
      const size_t n = (size_t)p.outer * (size_t)p.depth;
      int8_t *x = malloc(n), *ref = malloc(n), *out = malloc(n + 16);
      const int kind = c % 5;
      for (size_t i = 0; i < n; ++i)
        x[i] = (int8_t)(kind == 0 ? 17 : kind == 1 ? (rnd() & 1 ? 127 : -128) : kind == 2 ? rint_in(100, 103)
                                                                                           : (int8_t)rnd());
      qs8_softmax(&p, x, ref);
      qs8_softmax_table_init(&p, &t);
      memset(out + n, 0x5A, 16);
      if (c & 1) {
        f(&p, &t, x, out, 0, p.outer);
      } else { /* in place, rows in two calls */
        memcpy(out, x, n);
        f(&p, &t, out, out, 0, p.outer / 2);
        f(&p, &t, out, out, p.outer / 2, p.outer);
      }
      for (size_t i = 0; i < n; ++i) bad += out[i] != ref[i];
      for (size_t i = n; i < n + 16; ++i) bad += out[i] != 0x5A; /* nothing written past the end */
      outputs += (long)n;
      free(x); free(ref); free(out);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
