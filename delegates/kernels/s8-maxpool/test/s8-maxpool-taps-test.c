/* Every MAX_POOL_2D micro-kernel variant this CPU can run against the scalar one, byte for byte:
 * 1..25 taps at unaligned addresses (some repeated, as a pool's window edges are), channels 1..300
 * (every tail of the 32- and 64-wide steps), extreme values and clamps, nothing written past the
 * output. One line per variant; exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s8-maxpool/s8-maxpool-taps.h"
#include "base/test/rng.h"

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512};
  long bad_total = 0;
  for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {
    s8_maxpool_taps_fn f = s8_maxpool_taps_for_isa(isas[v]);
    if (!f) continue;
    rng_state = 0x2545F4914F6CDD1Dull;
    long bad = 0, outputs = 0;
    for (int c = 0; c < cases; ++c) {
      const size_t taps = (size_t)rint_in(1, 25), ch = (size_t)(c < 70 ? c + 1 : rint_in(1, 300));
      int8_t* pool = malloc(taps * (ch + 16));
      const int8_t* rows[25];
      for (size_t i = 0; i < taps * (ch + 16); ++i)
        pool[i] = (int8_t)(c % 7 == 3 ? (i & 1 ? 127 : -128) : (int)rnd());
      for (size_t t = 0; t < taps; ++t)
        rows[t] = t > 0 && rnd() % 4 == 0 ? rows[t - 1] : pool + t * (ch + 16) + rnd() % 16;
      const int8_t lo = (int8_t)(c % 3 == 0 ? -128 : rint_in(-128, 0)), hi = (int8_t)(c % 3 == 0 ? 127 : rint_in(lo, 127));
      int8_t *ref = malloc(ch), *ybuf = malloc(ch + 80);
      memset(ybuf, 0x5A, ch + 80);
      s8_maxpool_taps_c1_scalar(taps, rows, ch, ref, lo, hi);
      f(taps, rows, ch, ybuf + 8, lo, hi);
      for (size_t i = 0; i < ch; ++i) bad += ybuf[8 + i] != ref[i];
      for (size_t i = 0; i < 8; ++i) bad += ybuf[i] != 0x5A;
      for (size_t i = ch + 8; i < ch + 80; ++i) bad += ybuf[i] != 0x5A;
      outputs += (long)ch;
      free(pool); free(ref); free(ybuf);
    }
    printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
