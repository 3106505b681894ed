/* Every two-input LUT variant this CPU can run against the scalar kernel, byte for byte: random
 * tables (X8_LUT2D_TABLE_BYTES, the slack past entry 65535 poisoned), lengths 0..700 (every
 * tail), unaligned inputs and output, the corner entries (0/255 pairs) in every case, and nothing
 * written outside the output. One line per variant; exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x8-lut2d/x8-lut2d.h"
#include "base/test/rng.h"

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512};
  int8_t* table = malloc(X8_LUT2D_TABLE_BYTES);
  if (!table) return 2;
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    x8_lut2d_fn f = x8_lut2d_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      for (int i = 0; i < 65536; ++i) table[i] = (int8_t)(c % 4 == 0 ? (i * 31 + (i >> 8)) : (int)rnd());
      memset(table + 65536, 0x77, X8_LUT2D_TABLE_BYTES - 65536);
      const size_t n = c < 40 ? (size_t)c : (size_t)(rnd() % 701);
      const size_t oa = rnd() % 16, ob = rnd() % 16, oy = rnd() % 16;
      int8_t *abuf = malloc(n + 16), *bbuf = malloc(n + 16), *ref = malloc(n + 1), *ybuf = malloc(n + 48);
      if (!abuf || !bbuf || !ref || !ybuf) return 2;
      int8_t *a = abuf + oa, *b = bbuf + ob, *y = ybuf + oy;
      for (size_t i = 0; i < n; ++i) {
        a[i] = (int8_t)(i % 7 == 0 ? -1 : (int)rnd()); /* (uint8)-1 = 255: the last rows */
        b[i] = (int8_t)(i % 5 == 0 ? (i & 1 ? -1 : 0) : (int)rnd());
      }
      memset(ybuf, 0x5A, n + 48);
      x8_lut2d_scalar(n, a, b, ref, table);
      f(n, a, b, y, table);
      for (size_t i = 0; i < n; ++i) bad += y[i] != ref[i];
      for (size_t i = 0; i < oy; ++i) bad += ybuf[i] != 0x5A;  /* nothing before the start */
      for (size_t i = n; i < n + 32; ++i) bad += y[i] != 0x5A; /* nor past the end */
      outputs += (long)n;
      free(abuf); free(bbuf); free(ref); free(ybuf);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  free(table);
  return bad_total ? 1 : 0;
}
