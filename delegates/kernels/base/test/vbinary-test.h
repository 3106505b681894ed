/* The C test of a same-shape binary elementwise family (qs8-vadd, qs8-vmul): every variant this CPU
 * runs against the family's scalar kernel, byte for byte, over random lengths (tails included),
 * random parameters from the family's make_params(params, case), extreme inputs (a = -128; b
 * alternating 127 / -128), and nothing written past the end. One line per variant; exit status 1
 * on any mismatch. A test file defines make_params and then EQ_VBINARY_TEST_MAIN. */
#ifndef EDGEQ_BASE_TEST_VBINARY_TEST_H
#define EDGEQ_BASE_TEST_VBINARY_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/isa.h"
#include "base/test/rng.h"


enum { EQ_VBINARY_GUARD = 16 };

#define EQ_VBINARY_TEST_MAIN(PARAMS, FN, FOR_ISA, SCALAR)                                                    \
  int main(int argc, char** argv) {                                                                            \
    const int cases = argc > 1 ? atoi(argv[1]) : 300;                                                          \
    static const edgeq_isa isas[] = {EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512, EDGEQ_ISA_NEON};                                          \
    long bad_total = 0;                                                                                        \
    for (size_t v = 0; v < sizeof(isas) / sizeof(isas[0]); ++v) {                                              \
      FN f = FOR_ISA(isas[v]);                                                                                 \
      if (!f) continue;                                                                                        \
      rng_state = 0x2545F4914F6CDD1Dull;                                                                       \
      long bad = 0, outputs = 0;                                                                               \
      for (int c = 0; c < cases; ++c) {                                                                        \
        PARAMS p;                                                                                              \
        make_params(&p, c);                                                                                    \
        const size_t n = (size_t)rint_in(1, 700);                                                              \
        int8_t *a = malloc(n), *b = malloc(n), *ref = malloc(n), *out = malloc(n + EQ_VBINARY_GUARD);          \
        if (!a || !b || !ref || !out) return 2;                                                                \
        for (size_t i = 0; i < n; ++i) {                                                                       \
          a[i] = (int8_t)(c % 10 == 8 ? -128 : (int8_t)rnd());                                                 \
          b[i] = (int8_t)(c % 10 == 9 ? (i & 1 ? 127 : -128) : (int8_t)rnd());                                 \
        }                                                                                                      \
        memset(out, 0x5A, n + EQ_VBINARY_GUARD);                                                               \
        SCALAR(n, a, b, ref, &p);                                                                              \
        f(n, a, b, out, &p);                                                                                   \
        for (size_t i = 0; i < n; ++i) bad += out[i] != ref[i];                                                \
        for (size_t i = n; i < n + EQ_VBINARY_GUARD; ++i) bad += out[i] != 0x5A;                               \
        outputs += (long)n;                                                                                    \
        free(a), free(b), free(ref), free(out);                                                                \
      }                                                                                                        \
      printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);   \
      bad_total += bad;                                                                                        \
    }                                                                                                          \
    return bad_total ? 1 : 0;                                                                                  \
  }

#endif /* EDGEQ_BASE_TEST_VBINARY_TEST_H */
