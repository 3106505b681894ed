/* Correctness test of the qs8 GEMM family.
 *
 *   qs8_gemm_test [--golden FILE] [--cases N] [--seed S]
 *
 * 1. Random cases (shapes with odd / unit m, n, k, random zero points, multipliers, shifts of
 *    both signs over TFLite's whole [-31, 30] range, extreme multipliers and accumulators whose
 *    requantized value overflows int32 (wraps like TFLite's cast), clamp bounds; int8 and int4
 *    weights): every ISA that
 *    can run on this CPU is compared bit-exactly against a naive reference written straight
 *    from the TFLite formula, for whole runs and for split / misaligned channel ranges.
 * 2. Golden cases (optional): a file written by tests/delegates/test_gemm_kernels.py with
 *    FULLY_CONNECTED problems and the outputs LiteRT's BUILTIN_REF kernels produced.
 * 3. QS8_REQUANT_FP32 (the delegate's mode=fast): every ISA bit-exact with a naive fp32
 *    reference, and within +-1 of the integer reference wherever that one does not overflow
 *    int32; on golden cases within +-1 of BUILTIN_REF ("fp32: ... max_abs_diff=D").
 * Prints "detected_isa=NAME", "tested_isas=a,b,...", per-part summaries, and "RESULT PASS" or
 * "RESULT FAIL"; exit status 0 only on PASS.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm.h"
#include "base/requant.h"

static const edgeq_isa kAllIsas[] = {EDGEQ_ISA_SCALAR,   EDGEQ_ISA_AVX2,     EDGEQ_ISA_AVX512VNNI, EDGEQ_ISA_AMX,
                                     EDGEQ_ISA_NEON,     EDGEQ_ISA_NEON_DOT, EDGEQ_ISA_NEON_I8MM};
#define NUM_ISAS (sizeof(kAllIsas) / sizeof(kAllIsas[0]))

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { /* xorshift64*: reproducible across platforms */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static int32_t rnd_range(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

typedef struct {
  size_t m;
  qs8_gemm_desc d;
  int8_t* w8;   /* unpacked weights [n][k] (what the int4 array encodes, too) */
  uint8_t* w4;  /* TFLite INT4 packing of w8 (weight_bits == 4) */
  int32_t *bias, *mult, *shift;
  int8_t* a;    /* [m][lda] */
  size_t lda;
  qs8_rounding rounding;
} problem;

static void pack_int4(const int8_t* w8, size_t count, uint8_t* out) {
  memset(out, 0, (count + 1) / 2);
  for (size_t i = 0; i < count; i++)
    out[i / 2] |= (uint8_t)(((uint8_t)w8[i] & 0x0F) << ((i & 1) ? 4 : 0));
}

/* bias[n] + sum_k (A[r][k] - a_zp) * W[n][k], wrapping like the int32 arithmetic of TFLite. */
static uint32_t accumulate(const problem* p, size_t r, int32_t n) {
  const qs8_gemm_desc* d = &p->d;
  uint32_t acc = d->bias ? (uint32_t)d->bias[n] : 0;
  for (int32_t k = 0; k < d->k; k++)
    acc += (uint32_t)(((int32_t)p->a[r * p->lda + k] - d->a_zero_point) * (int32_t)p->w8[(size_t)n * d->k + k]);
  return acc;
}

/* Naive reference straight from the TFLite reference FULLY_CONNECTED kernel. */
static void reference(const problem* p, int8_t* c, size_t ldc) {
  const qs8_gemm_desc* d = &p->d;
  for (size_t r = 0; r < p->m; r++)
    for (int32_t n = 0; n < d->n; n++) {
      const uint32_t acc = accumulate(p, r, n);
      c[r * ldc + n] = eq_requantize((int32_t)acc, d->multiplier[n], d->shift[n],
                                      p->rounding == QS8_ROUNDING_SINGLE, d->c_zero_point, d->c_min,
                                      d->c_max);
    }
}

static int failures = 0;

/* Round half to even of |v| < 2^31, written without libm. */
static int32_t round_half_even(double v) {
  int64_t t = (int64_t)v;
  if ((double)t > v) t--; /* floor */
  const double frac = v - (double)t;
  if (frac > 0.5 || (frac == 0.5 && (t & 1))) t++;
  return (int32_t)t;
}

/* Naive QS8_REQUANT_FP32 reference: scale = multiplier * 2^(shift - 31) rounded to float, one
 * float multiply, clamp to the output range, round half to even. */
static void reference_fp32(const problem* p, int8_t* c, size_t ldc) {
  const qs8_gemm_desc* d = &p->d;
  for (size_t r = 0; r < p->m; r++)
    for (int32_t n = 0; n < d->n; n++) {
      const uint32_t acc = accumulate(p, r, n);
      const float scale = (float)((double)d->multiplier[n] / (double)(UINT64_C(1) << (31 - d->shift[n])));
      const float v = (float)(int32_t)acc * scale;
      double x = v;
      if (x < d->c_min - d->c_zero_point) x = d->c_min - d->c_zero_point;
      if (x > d->c_max - d->c_zero_point) x = d->c_max - d->c_zero_point;
      c[r * ldc + n] = (int8_t)(round_half_even(x) + d->c_zero_point);
    }
}

/* Whether output [r][n] of the integer reference is a plain rounding of acc * scale (no int32
 * wrap or saturation inside MultiplyByQuantizedMultiplier), so +-1 applies to it. */
static int exact_is_unwrapped(const problem* p, size_t r, int32_t n) {
  const qs8_gemm_desc* d = &p->d;
  const uint32_t acc = accumulate(p, r, n);
  const double real = (double)(int32_t)acc * (double)d->multiplier[n] / (double)(UINT64_C(1) << (31 - d->shift[n]));
  const double shifted = (double)(int32_t)acc * (d->shift[n] > 0 ? (double)(1 << d->shift[n]) : 1.0);
  return real > -1e6 && real < 1e6 && shifted > -2147483648.0 && shifted < 2147483647.0;
}

/* One half of a channel range, run by a second thread on the shared plan. */
typedef struct {
  const qs8_gemm_plan* plan;
  const problem* p;
  int8_t* c;
  size_t ldc, n_begin, n_end;
} run_args;

static void* run_thread(void* arg) {
  const run_args* r = (const run_args*)arg;
  qs8_gemm_run(r->plan, r->p->m, r->p->a, r->p->lda, r->c, r->ldc, r->n_begin, r->n_end);
  return NULL;
}

/* Runs one plan over the problem in the given channel ranges and compares with expected. */
static size_t gemv_checked; /* mode 5 runs (qs8_gemm_run_gemv) */

static int check_plan(const problem* p, edgeq_isa isa, const int8_t* expected, const char* what) {
  /* the plain create is the double-rounding contract */
  qs8_gemm_plan* plan = p->rounding == QS8_ROUNDING_DOUBLE && rnd() % 2
                            ? qs8_gemm_plan_create(&p->d, isa)
                            : qs8_gemm_plan_create_rounding(&p->d, isa, p->rounding);
  if (plan == NULL) {
    printf("FAIL %s: plan_create(%s) returned NULL for an available ISA\n", what, edgeq_isa_name(isa));
    failures++;
    return 0;
  }
  const size_t n = (size_t)p->d.n, ldc = n + (size_t)rnd_range(0, 5);
  int8_t* c = (int8_t*)malloc(p->m * ldc + 1);
  /* A for qs8_gemm_run_padded: rows of row_bytes (and a few more) bytes, random bytes after k,
   * which the zero weights past k must cancel */
  const size_t row_bytes = qs8_gemm_plan_row_bytes(plan), lpad = row_bytes + (size_t)rnd_range(0, 3);
  int8_t* apad = (int8_t*)malloc(p->m * lpad);
  for (size_t r = 0; r < p->m; r++)
    for (size_t i = 0; i < lpad; i++)
      apad[r * lpad + i] = i < (size_t)p->d.k ? p->a[r * p->lda + i] : (int8_t)rnd_range(-128, 127);
  int ok = row_bytes >= (size_t)p->d.k && row_bytes < (size_t)p->d.k + 8;
  if (!ok) printf("FAIL %s isa=%s: row_bytes %zu for k=%d\n", what, edgeq_isa_name(isa), row_bytes, p->d.k);
  for (int mode = 0; mode < 6 && ok; mode++) {
    memset(c, 0x5A, p->m * ldc + 1);
    const size_t nr = qs8_gemm_plan_nr(plan);
    if (mode == 0) {
      qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, 0, n);
    } else if (mode == 1) { /* thread-style split at a multiple of NR */
      size_t split = (n / 2) / nr * nr;
      qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, split, n);
      qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, 0, split);
    } else if (mode == 2) { /* arbitrary (misaligned) split */
      size_t split = (size_t)rnd_range(0, (int32_t)n);
      qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, 0, split);
      qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, split, n);
    } else if (mode == 4) { /* caller-padded rows (im2col), misaligned split */
      const size_t split = (size_t)rnd_range(0, (int32_t)n);
      qs8_gemm_run_padded(plan, p->m, apad, lpad, c, ldc, split, n);
      qs8_gemm_run_padded(plan, p->m, apad, lpad, c, ldc, 0, split);
    } else if (mode == 5) { /* one row with its sum given, A in place (FC at batch 1), misaligned split */
      if (p->m == 1 && qs8_gemm_plan_takes_row_sum(plan)) {
        const size_t split = (size_t)rnd_range(0, (int32_t)n);
        const int32_t sum = qs8_row_sum(p->a, (size_t)p->d.k);
        qs8_gemm_run_gemv(plan, p->a, sum, c, split, n);
        qs8_gemm_run_gemv(plan, p->a, sum, c, 0, split);
        gemv_checked++;
      } else {
        qs8_gemm_run(plan, p->m, p->a, p->lda, c, ldc, 0, n);
      }
    } else if (mode == 3) { /* two threads sharing the plan, split at a multiple of NR */
      const size_t split = (n / 2) / nr * nr;
      run_args r1 = {plan, p, c, ldc, 0, split}, r2 = {plan, p, c, ldc, split, n};
      pthread_t t;
      if (pthread_create(&t, NULL, run_thread, &r1) != 0) {
        run_thread(&r1);
        run_thread(&r2);
      } else {
        run_thread(&r2);
        pthread_join(t, NULL);
      }
    }
    for (size_t r = 0; r < p->m && ok; r++)
      for (size_t j = 0; j < n; j++)
        if (c[r * ldc + j] != expected[r * n + j]) {
          printf("FAIL %s isa=%s mode=%d rounding=%d m=%zu n=%zu k=%d bits=%d at [%zu][%zu]: "
                 "got %d want %d\n",
                 what, edgeq_isa_name(isa), mode, p->rounding, p->m, n, p->d.k, p->d.weight_bits, r, j,
                 c[r * ldc + j], expected[r * n + j]);
          ok = 0;
          break;
        }
    for (size_t r = 0; r + 1 < p->m && ok; r++) /* bytes between rows stay untouched */
      for (size_t j = n; j < ldc; j++)
        if (c[r * ldc + j] != 0x5A) {
          printf("FAIL %s isa=%s: wrote outside the output rows\n", what, edgeq_isa_name(isa));
          ok = 0;
          break;
        }
  }
  if (ok && p->d.weight_bits == 4) { /* int4 plans keep weights packed */
    const size_t bytes = qs8_gemm_plan_weight_bytes(plan);
    /* at most half a byte per weight of the padded (NR <= 16, KPAD <= 16) matrix */
    const size_t int8_bytes = (size_t)p->d.n * (size_t)p->d.k;
    const size_t padded = ((size_t)p->d.n + 15) / 16 * 16 * (((size_t)p->d.k + 15) / 16 * 16);
    if (bytes * 2 > padded) {
      printf("FAIL %s isa=%s: int4 plan keeps %zu bytes for %zu weights\n", what,
             edgeq_isa_name(isa), bytes, int8_bytes);
      ok = 0;
    }
  }
  if (ok && qs8_gemm_plan_rounding(plan) != p->rounding) {
    printf("FAIL %s: plan rounding %d != %d\n", what, qs8_gemm_plan_rounding(plan), p->rounding);
    ok = 0;
  }
  if (ok && qs8_gemm_plan_isa(plan) != isa) {
    printf("FAIL %s: plan isa %s != %s\n", what, edgeq_isa_name(qs8_gemm_plan_isa(plan)),
           edgeq_isa_name(isa));
    ok = 0;
  }
  free(c);
  free(apad);
  qs8_gemm_plan_destroy(plan);
  if (!ok) failures++;
  return ok;
}

static void free_problem(problem* p) {
  free(p->w8); free(p->w4); free(p->bias); free(p->mult); free(p->shift); free(p->a);
}

/* When nonzero, random_problem uses these sizes (large-shape cases below). */
static size_t g_force_m;
static int32_t g_force_n, g_force_k;
/* When nonzero, random_problem takes requantization scenario g_force_scenario - 1 and double rounding. */
static int g_force_scenario;

static void random_problem(problem* p, int bits) {
  /* 10, 11, 13, 14: 8-row blocks plus 2, 3, 5, 6 rows (AVX-512 VNNI's two-tile entry) */
  static const int32_t dims[] = {1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 31, 33, 47, 64, 100};
  memset(p, 0, sizeof(*p));
  const int32_t nd = (int32_t)(sizeof(dims) / sizeof(dims[0]));
  p->m = (size_t)dims[rnd_range(0, nd - 1)];
  int32_t n = rnd() % 4 == 0 ? rnd_range(1, 200) : dims[rnd_range(0, nd - 1)];
  int32_t k = rnd() % 4 == 0 ? rnd_range(1, 700) : dims[rnd_range(0, nd - 1)];
  if (g_force_m) p->m = g_force_m;
  if (g_force_n) n = g_force_n;
  if (g_force_k) k = g_force_k;
  p->lda = (size_t)k + (size_t)rnd_range(0, 9);
  p->w8 = (int8_t*)malloc((size_t)n * k);
  /* half the int8 cases in TFLite's weight range [-127, 127]: the NEON 2x8c16 kernel (two
   * products per int16 lane) is used only then. Some cases at the bounds: weights wmin / 127
   * with activations -128 / 127 (2 * 128 * 127 fits int16, 2 * 128 * 128 does not) */
  const int wmin = bits == 8 ? (rnd() % 2 ? -127 : -128) : -8, wmax = bits == 8 ? 127 : 7;
  const int w_bound = (bits == 8 || g_force_k) && rnd() % 4 == 0;
  for (size_t i = 0; i < (size_t)n * k; i++)
    p->w8[i] = (int8_t)(w_bound ? (rnd() % 2 ? wmin : wmax) : rnd_range(wmin, wmax));
  p->a = (int8_t*)malloc(p->m * p->lda);
  for (size_t i = 0; i < p->m * p->lda; i++)
    p->a[i] = (int8_t)(w_bound ? (rnd() % 2 ? -128 : 127) : rnd_range(-128, 127));
  p->bias = (int32_t*)malloc(sizeof(int32_t) * n);
  p->mult = (int32_t*)malloc(sizeof(int32_t) * n);
  p->shift = (int32_t*)malloc(sizeof(int32_t) * n);
  const int scenario = g_force_scenario ? g_force_scenario - 1 : rnd_range(0, 6);
  for (int32_t i = 0; i < n; i++) {
    p->bias[i] = rnd() % 3 == 0 ? (int32_t)rnd() : rnd_range(-100000, 100000);
    /* QuantizeMultiplier gives [2^30, 2^31); also try arbitrary and extreme values */
    switch (rnd_range(0, 5)) {
      case 0: p->mult[i] = (int32_t)rnd(); break;
      case 1: p->mult[i] = INT32_MAX; break;
      case 2: p->mult[i] = scenario == 0 ? INT32_MIN : (1 << 30); break;
      default: p->mult[i] = (1 << 30) + (int32_t)(rnd() & 0x3FFFFFFF);
    }
    /* scenario 2: every shift negative (the NEON kernels' right-shift-only requantization) */
    p->shift[i] = scenario == 1 ? rnd_range(-31, 30) : scenario == 2 ? rnd_range(-31, -1) : rnd_range(-14, 3);
    /* scenario 6: every shift in [-23, -1], a third at -23, extreme biases: the AVX-512 one-step
     * requantization with the output zero point folded into its 64-bit constant, at its bound */
    if (scenario == 6) {
      p->shift[i] = rnd() % 3 == 0 ? -23 : rnd_range(-23, -1);
      if (rnd() % 2) p->bias[i] = rnd() % 2 ? INT32_MIN : INT32_MAX;
    }
  }
  p->d.n = n;
  p->d.k = k;
  p->d.weight_bits = bits;
  p->rounding = rnd() % 2 ? QS8_ROUNDING_SINGLE : QS8_ROUNDING_DOUBLE;
  if (g_force_scenario) p->rounding = QS8_ROUNDING_DOUBLE;
  if (bits == 4) {
    p->w4 = (uint8_t*)malloc(((size_t)n * k + 1) / 2);
    pack_int4(p->w8, (size_t)n * k, p->w4);
    p->d.weights = p->w4;
  } else {
    p->d.weights = p->w8;
  }
  p->d.bias = rnd() % 5 == 0 ? NULL : p->bias;
  p->d.a_zero_point = rnd() % 4 == 0 ? -128 : rnd_range(-128, 127);
  p->d.multiplier = p->mult;
  p->d.shift = p->shift;
  p->d.c_zero_point = rnd_range(-128, 127);
  p->d.c_min = rnd() % 2 ? -128 : rnd_range(-128, 0);
  p->d.c_max = rnd() % 2 ? 127 : rnd_range(p->d.c_min, 127);
  /* the hint of one-row calls (FC at batch 1) picks another kernel on i8mm CPUs; any m stays valid */
  p->d.m_hint = rnd() % 3 == 0 ? 1 : 0;
  if (scenario == 0) { /* extreme products: INT32_MIN accumulators times INT32_MIN / MAX */
    /* a third with every shift negative: plans the AVX-512 one-step double rounding would take,
     * were it not for the INT32_MIN multipliers (saturation) */
    const int right_only = rnd() % 3 == 0;
    for (int32_t i = 0; i < n; i++) p->shift[i] = right_only ? rnd_range(-31, -1) : rnd() % 2 ? 0 : rnd_range(-31, 30);
    if (p->d.bias) for (int32_t i = 0; i < n; i++) p->bias[i] = INT32_MIN;
    for (size_t i = 0; i < (size_t)n * k; i++) p->w8[i] = 0;
    if (bits == 4) pack_int4(p->w8, (size_t)n * k, p->w4);
  }
}

static int read_all(FILE* f, void* dst, size_t bytes) { return fread(dst, 1, bytes, f) == bytes; }

/* Golden file: "EQGG", uint32 count, then per case int32 m, n, k, bits, a_zp, c_zp, c_min, c_max,
 * rounding (qs8_rounding),
 * weights (int8 n*k or int4 ceil(n*k/2) bytes), int32 bias[n], mult[n], shift[n], int8 a[m*k],
 * int8 expected[m*n]. */
static int run_golden(const char* path, int* isa_seen) {
  FILE* f = fopen(path, "rb");
  char magic[4];
  uint32_t count = 0;
  if (f == NULL || !read_all(f, magic, 4) || memcmp(magic, "EQGG", 4) != 0 ||
      !read_all(f, &count, 4)) {
    printf("FAIL golden: cannot read %s\n", path);
    failures++;
    if (f) fclose(f);
    return 0;
  }
  size_t outputs = 0, golden_checks = 0, fp32_outputs = 0, fp32_differ = 0;
  int fp32_max_diff = 0;
  for (uint32_t ci = 0; ci < count; ci++) {
    int32_t hdr[9];
    if (!read_all(f, hdr, sizeof(hdr))) { printf("FAIL golden: truncated\n"); failures++; break; }
    problem p;
    memset(&p, 0, sizeof(p));
    p.m = (size_t)hdr[0];
    const int32_t n = hdr[1], k = hdr[2], bits = hdr[3];
    p.lda = (size_t)k;
    p.rounding = (qs8_rounding)hdr[8];
    const size_t wbytes = bits == 8 ? (size_t)n * k : ((size_t)n * k + 1) / 2;
    uint8_t* wraw = (uint8_t*)malloc(wbytes);
    p.w8 = (int8_t*)malloc((size_t)n * k);
    p.bias = (int32_t*)malloc(4 * (size_t)n);
    p.mult = (int32_t*)malloc(4 * (size_t)n);
    p.shift = (int32_t*)malloc(4 * (size_t)n);
    p.a = (int8_t*)malloc(p.m * k);
    int8_t* expected = (int8_t*)malloc(p.m * n);
    int8_t* naive = (int8_t*)malloc(p.m * n);
    int ok = read_all(f, wraw, wbytes) && read_all(f, p.bias, 4 * (size_t)n) &&
             read_all(f, p.mult, 4 * (size_t)n) && read_all(f, p.shift, 4 * (size_t)n) &&
             read_all(f, p.a, p.m * k) && read_all(f, expected, p.m * n);
    if (!ok) { printf("FAIL golden: truncated case %u\n", ci); failures++; }
    for (size_t i = 0; ok && i < (size_t)n * k; i++)
      p.w8[i] = bits == 8 ? (int8_t)wraw[i]
                          : (int8_t)((i & 1) ? ((int8_t)wraw[i / 2] >> 4)
                                             : ((int8_t)(uint8_t)(wraw[i / 2] << 4) >> 4));
    p.d = (qs8_gemm_desc){n, k, wraw, bits, p.bias, hdr[4], p.mult, p.shift,
                          hdr[5], hdr[6], hdr[7]};
    if (ok) {
      reference(&p, naive, (size_t)n);
      if (memcmp(naive, expected, p.m * n) != 0) {
        printf("FAIL golden case %u: naive reference (rounding %d) differs from BUILTIN_REF\n", ci,
               p.rounding);
        failures++;
      }
      for (size_t i = 0; i < NUM_ISAS; i++) {
        qs8_gemm_plan* probe = qs8_gemm_plan_create(&p.d, kAllIsas[i]);
        if (probe == NULL) continue;
        qs8_gemm_plan_destroy(probe);
        isa_seen[i] = 1;
        check_plan(&p, kAllIsas[i], expected, "golden");
        golden_checks++;
        /* mode=fast against LiteRT itself: every output within +-1 */
        qs8_gemm_plan* fp = qs8_gemm_plan_create_rounding(&p.d, kAllIsas[i], QS8_REQUANT_FP32);
        if (fp == NULL) { printf("FAIL golden: fp32 plan_create returned NULL\n"); failures++; continue; }
        qs8_gemm_run(fp, p.m, p.a, p.lda, naive, (size_t)n, 0, (size_t)n);
        qs8_gemm_plan_destroy(fp);
        for (size_t j = 0; j < p.m * (size_t)n; j++) {
          const int diff = naive[j] > expected[j] ? naive[j] - expected[j] : expected[j] - naive[j];
          if (diff > fp32_max_diff) fp32_max_diff = diff;
          fp32_differ += diff != 0;
          fp32_outputs++;
        }
      }
      outputs += p.m * n;
    }
    free(wraw); free(expected); free(naive); free_problem(&p);
    if (!ok) break;
  }
  fclose(f);
  printf("golden: %u cases, %zu outputs, %zu plan checks\n", count, outputs, golden_checks);
  printf("fp32 golden: %zu outputs, %zu differ from BUILTIN_REF, max_abs_diff=%d\n", fp32_outputs, fp32_differ,
         fp32_max_diff);
  if (fp32_max_diff > 1) failures++;
  return 1;
}

int main(int argc, char** argv) {
  const char* golden = NULL;
  int cases = 300;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--golden") && i + 1 < argc) golden = argv[++i];
    else if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) rng_state ^= strtoull(argv[++i], NULL, 0);
    else { fprintf(stderr, "usage: %s [--golden FILE] [--cases N] [--seed S]\n", argv[0]); return 2; }
  }
  printf("detected_isa=%s\n", edgeq_isa_name(qs8_gemm_best_isa()));
  int isa_seen[NUM_ISAS] = {0};

  /* invalid descriptions are refused, not half-built */
  int8_t w1 = 1;
  int32_t m1 = 1 << 30, s_bad = 40, s0 = 0;
  qs8_gemm_desc bad = {1, 1, &w1, 8, NULL, 0, &m1, &s_bad, 0, -128, 127};
  if (qs8_gemm_plan_create(&bad, EDGEQ_ISA_SCALAR) != NULL) { printf("FAIL: shift 40 accepted\n"); failures++; }
  bad.shift = &s0;
  bad.weight_bits = 5;
  if (qs8_gemm_plan_create(&bad, EDGEQ_ISA_SCALAR) != NULL) { printf("FAIL: 5-bit accepted\n"); failures++; }
  bad.weight_bits = 8;
  bad.c_min = 10; bad.c_max = 5;
  if (qs8_gemm_plan_create(&bad, EDGEQ_ISA_SCALAR) != NULL) { printf("FAIL: c_min > c_max accepted\n"); failures++; }

  size_t checked = 0, fp32_checked = 0, fp32_diffs = 0;
  for (int ci = 0; ci < cases; ci++) {
    problem p;
    random_problem(&p, ci % 2 ? 4 : 8);
    int8_t* expected = (int8_t*)malloc(p.m * (size_t)p.d.n);
    reference(&p, expected, (size_t)p.d.n);
    for (size_t i = 0; i < NUM_ISAS; i++) {
      qs8_gemm_plan* probe = qs8_gemm_plan_create(&p.d, kAllIsas[i]);
      if (probe == NULL) continue;
      qs8_gemm_plan_destroy(probe);
      isa_seen[i] = 1;
      check_plan(&p, kAllIsas[i], expected, "random");
      checked += p.m * (size_t)p.d.n;
    }
    /* the same problem in fp32 mode */
    int8_t* expected32 = (int8_t*)malloc(p.m * (size_t)p.d.n);
    const qs8_rounding exact_rounding = p.rounding;
    p.rounding = QS8_REQUANT_FP32;
    reference_fp32(&p, expected32, (size_t)p.d.n);
    for (size_t r = 0; r < p.m; r++)
      for (int32_t n = 0; n < p.d.n; n++) {
        const int diff = expected32[r * p.d.n + n] - expected[r * p.d.n + n];
        if (diff < 0 ? -diff : diff) {
          if (!exact_is_unwrapped(&p, r, n)) continue;
          fp32_diffs++;
          if (diff > 1 || diff < -1) {
            printf("FAIL fp32 random: |fp32 - exact(rounding %d)| = %d at [%zu][%d]\n", exact_rounding,
                   diff, r, n);
            failures++;
          }
        }
      }
    for (size_t i = 0; i < NUM_ISAS; i++) {
      qs8_gemm_plan* probe = qs8_gemm_plan_create(&p.d, kAllIsas[i]);
      if (probe == NULL) continue;
      qs8_gemm_plan_destroy(probe);
      check_plan(&p, kAllIsas[i], expected32, "fp32 random");
      fp32_checked += p.m * (size_t)p.d.n;
    }
    free(expected32);
    free(expected);
    free_problem(&p);
    if (failures > 20) break;
  }
  /* Large shapes: many rows per call (the AVX-512 VNNI dispatcher packs up to 64 rows per step,
   * fewer as k grows) and k too large for the dispatcher's stack buffer (heap path, 8-row steps). */
  /* AMX plans (k > 32): 32- and 16-row tile blocks, k tails (k % 64) and the VNNI rest rows */
  /* int4 (bits 4): the AVX-512 kernels' k bound (65792) and past it; extreme: every a = 127 and w = -8,
   * the most negative sum (at k = 66000 it overflows int32 times 16), and every a = -128 with w = 7 (the
   * x16o8 kernel's nibbles hold w + 8: 15 * 16 * -128 per high product); odd k and rows around the 4-row
   * tile; each with and without the one-row hint (x16o8 or x16) */
  static const int32_t big[][5] = {
      {130, 40, 2500, 8, 0}, {150, 37, 300, 8, 0}, {67, 16, 24, 8, 0},    {48, 50, 128, 8, 0},
      {33, 70, 64, 8, 0},    {20, 33, 33, 8, 0},   {96, 32, 200, 8, 0},   {1, 40, 65792, 4, 1},
      {3, 17, 65793, 4, 0},  {2, 17, 66000, 4, 1}, {5, 33, 2056, 4, 0},   {2, 20, 4095, 4, 0},
      {1, 40, 65792, 4, 2},  {3, 20, 65792, 4, 2}, {1, 40, 65792, 4, 11}, {1, 40, 65792, 4, 12},
      {3, 20, 65792, 4, 12}, {1, 33, 2056, 4, 10}, {5, 17, 4095, 4, 10}, {1, 20, 24, 4, 10},
      {1, 37, 136, 4, 10},   {1, 50, 2048, 4, 10}, {1, 17, 8, 4, 10},     {1, 64, 1000, 4, 10}};
  for (size_t bi = 0; bi < sizeof(big) / sizeof(big[0]); bi++) {
    g_force_m = (size_t)big[bi][0];
    g_force_n = big[bi][1];
    g_force_k = big[bi][2];
    problem p;
    random_problem(&p, big[bi][3]);
    /* + 10: a plan for one-row calls (m_hint 1: the AVX-512 x16o8 kernel, nibbles w + 8), else m_hint 0 */
    const int fill = big[bi][4] % 10;
    p.d.m_hint = big[bi][4] >= 10 ? 1 : 0;
    if (fill) { /* 1: w = -8, a = 127; 2: w = 7, a = -128 (x16o8's w + 8 nibbles at 15 with the most negative a) */
      memset(p.w8, fill == 1 ? -8 : 7, (size_t)p.d.n * (size_t)p.d.k);
      memset(p.a, fill == 1 ? 127 : -128, p.m * p.lda);
      pack_int4(p.w8, (size_t)p.d.n * (size_t)p.d.k, p.w4);
    }
    int8_t* expected = (int8_t*)malloc(p.m * (size_t)p.d.n);
    reference(&p, expected, (size_t)p.d.n);
    for (size_t i = 0; i < NUM_ISAS; i++) {
      qs8_gemm_plan* probe = qs8_gemm_plan_create(&p.d, kAllIsas[i]);
      if (probe == NULL) continue;
      qs8_gemm_plan_destroy(probe);
      check_plan(&p, kAllIsas[i], expected, "large");
      checked += p.m * (size_t)p.d.n;
    }
    free(expected);
    free_problem(&p);
  }
  /* Tile counts with the AVX-512 VNNI one-step requantization (scenario 6, double rounding): odd counts
   * end on the three-tile entry (80, 144 channels; 40, 36 with a partial third tile), even ones with a
   * partial last tile on the two-tile entry (24); k whole 8-byte steps (rows read in place) or not (20) */
  static const int32_t tiles_n[] = {24, 36, 40, 48, 80, 144}, tiles_m[] = {8, 13, 67}, tiles_k[] = {16, 20, 144};
  for (size_t ni = 0; ni < sizeof(tiles_n) / sizeof(tiles_n[0]); ni++)
    for (size_t mi = 0; mi < sizeof(tiles_m) / sizeof(tiles_m[0]); mi++)
      for (size_t ki = 0; ki < sizeof(tiles_k) / sizeof(tiles_k[0]); ki++) {
        g_force_m = (size_t)tiles_m[mi];
        g_force_n = tiles_n[ni];
        g_force_k = tiles_k[ki];
        g_force_scenario = 6 + 1;
        problem p;
        random_problem(&p, 8);
        int8_t* expected = (int8_t*)malloc(p.m * (size_t)p.d.n);
        reference(&p, expected, (size_t)p.d.n);
        for (size_t i = 0; i < NUM_ISAS; i++) {
          qs8_gemm_plan* probe = qs8_gemm_plan_create(&p.d, kAllIsas[i]);
          if (probe == NULL) continue;
          qs8_gemm_plan_destroy(probe);
          check_plan(&p, kAllIsas[i], expected, "tiles");
          checked += p.m * (size_t)p.d.n;
        }
        free(expected);
        free_problem(&p);
      }
  g_force_scenario = 0;
  g_force_m = 0;
  g_force_n = g_force_k = 0;

  printf("random: %d cases, %zu outputs checked\n", cases, checked);
  printf("one-row calls with the row sum given: %zu plans\n", gemv_checked);
  printf("fp32 random: %zu outputs checked, %zu differ from the exact reference by 1\n", fp32_checked,
         fp32_diffs);
  if (golden) run_golden(golden, isa_seen);

  printf("tested_isas=");
  for (size_t i = 0, first = 1; i < NUM_ISAS; i++)
    if (isa_seen[i]) { printf(first ? "%s" : ",%s", edgeq_isa_name(kAllIsas[i])); first = 0; }
  printf("\nRESULT %s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
