/* Timing of the depthwise variants on MobileNet-V2-like 3x3 layers: variants interleaved
 * round by round, median per variant. Usage: qs8_dwconv_bench [rounds]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qs8-dwconv/qs8-dwconv.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 15;
  /* side, channels, stride, kernel side (5x5: EfficientNet-B0 / MobileNet-V3 layers) */
  static const int layers[][4] = {{56, 144, 1, 3}, {28, 192, 1, 3}, {14, 576, 1, 3}, {56, 96, 2, 3}, {7, 960, 1, 3},
                                  {56, 144, 2, 5}, {28, 240, 1, 5}, {14, 672, 1, 5}, {7, 1152, 1, 5}};
  static const edgeq_isa isas[] = {EDGEQ_ISA_SCALAR, EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX512VNNI,
                                   EDGEQ_ISA_NEON};
  enum { NISA = sizeof(isas) / sizeof(isas[0]) };
  for (size_t l = 0; l < sizeof(layers) / sizeof(layers[0]); ++l) {
    const int hw = layers[l][0], C = layers[l][1], st = layers[l][2], ks = layers[l][3], taps = ks * ks;
    const int out = (hw + st - 1) / st;
    int8_t* in = malloc((size_t)hw * hw * C);
    int8_t* w = malloc((size_t)taps * C);
    int8_t* o = malloc((size_t)out * out * C);
    int32_t *bias = calloc((size_t)C, 4), *mult = malloc(4 * (size_t)C), *shift = malloc(4 * (size_t)C);
    for (size_t i = 0; i < (size_t)hw * hw * C; ++i) in[i] = (int8_t)(i * 7 + 3);
    for (int i = 0; i < taps * C; ++i) w[i] = (int8_t)(i * 13 + 1);
    for (int c = 0; c < C; ++c) { mult[c] = 0x50000000 + c; shift[c] = -8; }
    const int pad = st == 1 ? ks / 2 : ks / 2 - 1;
    const qs8_dw_geometry g = {hw, hw, C, out, ks, ks, st, st, 1, 1, pad, pad};
    const int8_t** ind = malloc(sizeof(*ind) * (size_t)out * taps);
    double times[NISA][64];
    qs8_dwconv_plan* plans[NISA] = {0};
    for (int v = 0; v < NISA; ++v) {
      const qs8_dwconv_desc d = {C, taps, w, 8, bias, mult, shift, 3, -2, -128, 127};
      plans[v] = qs8_dwconv_isa_available(isas[v]) ? qs8_dwconv_plan_create(&d, isas[v]) : NULL;
    }
    for (int r = 0; r < rounds && r < 64; ++r)
      for (int v = 0; v < NISA; ++v) {
        if (!plans[v]) continue;
        const double t0 = now();
        for (int oy = 0; oy < out; ++oy) {
          qs8_dwconv_indirect_row(&g, in, qs8_dwconv_plan_zero_row(plans[v]), oy, ind);
          qs8_dwconv_run(plans[v], (size_t)out, ind, o + (size_t)oy * out * C, (size_t)C);
        }
        times[v][r] = now() - t0;
      }
    printf("%dx%dx%d k%d s%d:", hw, hw, C, ks, st);
    for (int v = 0; v < NISA; ++v) {
      if (!plans[v]) continue;
      qsort(times[v], (size_t)(rounds < 64 ? rounds : 64), sizeof(double), cmp);
      printf("  %s %.1f us", edgeq_isa_name(isas[v]), 1e6 * times[v][(rounds < 64 ? rounds : 64) / 2]);
      qs8_dwconv_plan_destroy(plans[v]);
    }
    printf("\n");
    free(in); free(w); free(o); free(bias); free(mult); free(shift); free(ind);
  }
  return 0;
}
