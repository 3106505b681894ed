/* Timing driver for benchmarks/bench_gemm.py.
 *
 *   qs8_gemm_bench M N K BITS RUNS
 *
 * Packs one random problem for every ISA this CPU runs, then times RUNS rounds in which each
 * ISA runs the whole GEMM once (interleaved, so machine noise hits all variants alike).
 * Prints one JSON object: {"m":..,"n":..,"k":..,"bits":..,"isas":{"name":{"seconds":[..],
 * "weight_bytes":.., "pack_seconds":..}}} (pack = plan creation, timed once). Timing only;
 * correctness is qs8_gemm_test's job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "qs8-gemm/qs8-gemm.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s M N K BITS RUNS\n", argv[0]);
    return 2;
  }
  const size_t m = strtoul(argv[1], NULL, 10), n = strtoul(argv[2], NULL, 10),
               k = strtoul(argv[3], NULL, 10);
  const int bits = atoi(argv[4]), runs = atoi(argv[5]);
  if (m == 0 || n == 0 || k == 0 || (bits != 8 && bits != 4) || runs <= 0) {
    fprintf(stderr, "bad arguments: M, N, K, RUNS > 0 and BITS 8 or 4\n");
    return 2;
  }
  const size_t wbytes = bits == 8 ? n * k : (n * k + 1) / 2;
  unsigned char* w = malloc(wbytes);
  signed char* a = malloc(m * k);
  signed char* c = malloc(m * n);
  int32_t* bias = malloc(4 * n);
  int32_t* mult = malloc(4 * n);
  int32_t* shift = malloc(4 * n);
  srand(1);
  for (size_t i = 0; i < wbytes; i++) w[i] = (unsigned char)(rand() & 0xFF);
  for (size_t i = 0; i < m * k; i++) a[i] = (signed char)(rand() & 0xFF);
  for (size_t i = 0; i < n; i++) {
    bias[i] = rand() % 20000 - 10000;
    mult[i] = (1 << 30) + rand() % (1 << 30);
    shift[i] = -8 - rand() % 4;
  }
  const qs8_gemm_desc d = {(int32_t)n, (int32_t)k, w, bits, bias, 3, mult, shift, -5, -128, 127};
  const edgeq_isa all[] = {EDGEQ_ISA_SCALAR, EDGEQ_ISA_AVX2,     EDGEQ_ISA_AVX512VNNI, EDGEQ_ISA_AMX,
                           EDGEQ_ISA_NEON,   EDGEQ_ISA_NEON_DOT, EDGEQ_ISA_NEON_I8MM};
  enum { NISA = sizeof(all) / sizeof(all[0]) };
  qs8_gemm_plan* plans[NISA] = {0};
  double* times = calloc((size_t)runs * NISA, sizeof(double));
  double pack_seconds[NISA] = {0};
  for (int i = 0; i < NISA; i++) {
    const double t0 = now();
    plans[i] = qs8_gemm_plan_create(&d, all[i]);
    pack_seconds[i] = now() - t0;
    if (plans[i]) qs8_gemm_run(plans[i], m, (const int8_t*)a, k, (int8_t*)c, n, 0, n); /* warm-up */
  }
  for (int r = 0; r < runs; r++)
    for (int i = 0; i < NISA; i++) {
      if (!plans[i]) continue;
      const double t0 = now();
      qs8_gemm_run(plans[i], m, (const int8_t*)a, k, (int8_t*)c, n, 0, n);
      times[r * NISA + i] = now() - t0;
    }
  printf("{\"m\":%zu,\"n\":%zu,\"k\":%zu,\"bits\":%d,\"isas\":{", m, n, k, bits);
  for (int i = 0, first = 1; i < NISA; i++) {
    if (!plans[i]) continue;
    printf("%s\"%s\":{\"weight_bytes\":%zu,\"pack_seconds\":%.6f,\"seconds\":[", first ? "" : ",",
           edgeq_isa_name(all[i]), qs8_gemm_plan_weight_bytes(plans[i]), pack_seconds[i]);
    for (int r = 0; r < runs; r++) printf("%s%.9f", r ? "," : "", times[r * NISA + i]);
    printf("]}");
    first = 0;
    qs8_gemm_plan_destroy(plans[i]);
  }
  printf("}}\n");
  free(w); free(a); free(c); free(bias); free(mult); free(shift); free(times);
  return 0;
}
