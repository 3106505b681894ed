/* Every MUL variant this CPU can run against the scalar kernel, byte for byte, over random lengths
 * (tails included), zero points, multipliers from random scale products as mul.cc's Prepare
 * derives them (right shifts to -31 and left shifts to 31), extreme inputs and clamp ranges.
 * One line per variant; exit status 1 on any mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/requant.h"
#include "qs8-vmul/qs8-vmul.h"

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

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
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON};
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    qs8_vmul_fn f = qs8_vmul_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      qs8_mul_params p;
      make_params(&p, c);
      const size_t n = (size_t)rint_in(1, 700);
      int8_t *a = malloc(n), *b = malloc(n), *ref = malloc(n), *out = malloc(n + 16);
      for (size_t i = 0; i < n; ++i) {
        a[i] = (int8_t)(c % 10 == 8 ? -128 : (int8_t)rnd());
        b[i] = (int8_t)(c % 10 == 9 ? (i & 1 ? 127 : -128) : (int8_t)rnd());
      }
      memset(out, 0x5A, n + 16);
      qs8_vmul_scalar(n, a, b, ref, &p);
      f(n, a, b, out, &p);
      for (size_t i = 0; i < n; ++i) bad += out[i] != ref[i];
      for (size_t i = n; i < n + 16; ++i) bad += out[i] != 0x5A; /* nothing written past the end */
      outputs += (long)n;
      free(a); free(b); free(ref); free(out);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
