/* Every LUT variant this CPU can run against the scalar kernel, byte for byte: random tables,
 * lengths 0..700 (every tail of every unrolled step), unaligned input and output, every input
 * value in each case, and nothing written past the end. One line per variant; exit status 1 on
 * any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x8-lut/x8-lut.h"
#include "base/test/rng.h"

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512VBMI, EDGEQ_ISA_NEON};
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    x8_lut_fn f = x8_lut_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      int8_t table[256];
      for (int i = 0; i < 256; ++i) table[i] = (int8_t)(c % 5 == 0 ? 255 - i : rnd()); /* and one monotone */
      const size_t n = c < 130 ? (size_t)c : (size_t)(rnd() % 701);
      const size_t ox = rnd() % 16, oy = rnd() % 16;
      int8_t *xbuf = malloc(n + 16), *ref = malloc(n + 1), *ybuf = malloc(n + 48);
      int8_t *x = xbuf + ox, *y = ybuf + oy;
      for (size_t i = 0; i < n; ++i) x[i] = (int8_t)(i < 256 && c % 2 ? (int)(i * 167 % 256) : (int)rnd());
      memset(ybuf, 0x5A, n + 48);
      x8_lut_scalar(n, x, ref, table);
      f(n, x, y, table);
      for (size_t i = 0; i < n; ++i) bad += y[i] != ref[i];
      for (size_t i = 0; i < oy; ++i) bad += ybuf[i] != 0x5A;          /* nothing before the start */
      for (size_t i = n; i < n + 32; ++i) bad += y[i] != 0x5A;         /* nor past the end */
      outputs += (long)n;
      free(xbuf); free(ref); free(ybuf);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
