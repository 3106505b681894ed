/* qs8_softmax_lut (table of exps) against qs8_softmax (the reference arithmetic per element), byte
 * for byte, over random row lengths, input multipliers as SoftmaxPrepare derives them from
 * beta * input_scale (from tiny to large), the diff_min cut-off, rows of equal values (up to 600
 * classes: the exponent > 31 path), extreme inputs, and in place. Exit status 1 on any mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/requant.h"
#include "qs8-softmax/qs8-softmax.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

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
  long bad = 0, outputs = 0;
  qs8_softmax_table t;
  for (int c = 0; c < cases; ++c) {
    qs8_softmax_params p;
    make_params(&p, ldexp(0.5 + (rnd() % 1000) * 5e-4, rint_in(-25, 4)));
    p.outer = rint_in(1, 5);
    p.depth = c % 9 == 0 ? rint_in(500, 600) : rint_in(1, 300);
    const size_t n = (size_t)p.outer * (size_t)p.depth;
    int8_t *x = malloc(n), *ref = malloc(n), *out = malloc(n);
    const int kind = c % 5;
    for (size_t i = 0; i < n; ++i)
      x[i] = (int8_t)(kind == 0 ? 17 : kind == 1 ? (rnd() & 1 ? 127 : -128) : kind == 2 ? rint_in(100, 103)
                                                                                         : (int8_t)rnd());
    qs8_softmax(&p, x, ref);
    qs8_softmax_table_init(&p, &t);
    if (c & 1) {
      qs8_softmax_lut(&p, &t, x, out, 0, p.outer);
    } else { /* in place, rows in two calls */
      memcpy(out, x, n);
      qs8_softmax_lut(&p, &t, out, out, 0, p.outer / 2);
      qs8_softmax_lut(&p, &t, out, out, p.outer / 2, p.outer);
    }
    for (size_t i = 0; i < n; ++i) bad += out[i] != ref[i];
    outputs += (long)n;
    free(x); free(ref); free(out);
  }
  printf("isa=lut cases=%d outputs=%ld mismatches=%ld\n", cases, outputs, bad);
  return bad ? 1 : 0;
}
