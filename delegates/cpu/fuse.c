/* The fused table kinds of fuse.h. */
#include "fuse.h"

#include <stdlib.h>

#include "x8-lut/x8-lut.h"

typedef struct {
  size_t n;
  int8_t table[256];
} fused_lut;

void* eq_fused_swish_create(const void* logistic_state, const void* mul_state, int x_first, size_t n) {
  fused_lut* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  int8_t x[256], sig[256];
  const int8_t* lut = eq_cpu_logistic_lut(logistic_state);
  for (int v = 0; v < 256; ++v) {
    x[v] = (int8_t)v;
    sig[v] = lut[v]; /* tables are indexed by (uint8)x */
  }
  eq_cpu_mul_apply(mul_state, 256, x_first ? x : sig, x_first ? sig : x, s->table);
  s->n = n;
  return s;
}

typedef struct {
  const fused_lut* s;
  const int8_t* x;
  int8_t* y;
  size_t chunks;
} lut_job;

/* chunk t; boundaries at multiples of 64 elements */
static void lut_chunk(void* arg, size_t t) {
  const lut_job* j = arg;
  const size_t blocks = (j->s->n + 63) / 64;
  const size_t i0 = blocks * t / j->chunks * 64, i1 = blocks * (t + 1) / j->chunks * 64;
  const size_t end = i1 < j->s->n ? i1 : j->s->n;
  if (i0 < end) x8_lut_scalar(end - i0, j->x + i0, j->y + i0, j->s->table);
}

static TfLiteStatus lut_eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const fused_lut* s = s_;
  lut_job j = {s, in[0], out[0], s->n >= ((size_t)1 << 14) ? 2 * (size_t)eq_pool_threads(pool) : 1};
  eq_pool_parallel_for(j.chunks > 1 ? pool : NULL, j.chunks, lut_chunk, &j);
  return kTfLiteOk;
}

static TfLiteStatus away_eval(void* s, const void* const* in, void* const* out, eq_pool* pool) {
  (void)s, (void)in, (void)out, (void)pool;
  return kTfLiteOk;
}

static void nothing(void* s) { (void)s; }

const eq_op_kind eq_op_fused_lut = {{"LOGISTIC+MUL", kTfLiteBuiltinMul, NULL}, NULL, lut_eval, free, NULL};
const eq_op_kind eq_op_fused_away = {{"LOGISTIC (fused)", kTfLiteBuiltinLogistic, NULL}, NULL, away_eval, nothing, NULL};
