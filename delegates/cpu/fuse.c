/* The fused table kinds of fuse.h. */
#include "fuse.h"

#include <stdlib.h>

#include "x8-lut/x8-lut.h"

typedef struct {
  size_t n;
  int8_t table[256];
} fused_lut;

void* eq_fused_swish_create(TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul, size_t n) {
  fused_lut* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_swish_lut(ctx, logistic, mul, s->table);
  s->n = n;
  return s;
}

typedef struct {
  const fused_lut* s;
  const int8_t* x;
  int8_t* y;
} lut_job;

static void lut_range(const void* arg, size_t i0, size_t i1) {
  const lut_job* j = arg;
  x8_lut_scalar(i1 - i0, j->x + i0, j->y + i0, j->s->table);
}

static TfLiteStatus lut_eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const fused_lut* s = s_;
  const lut_job j = {s, in[0], out[0]};
  eq_pool_for_ranges(pool, s->n, (size_t)1 << 14, lut_range, &j);
  return kTfLiteOk;
}

static TfLiteStatus away_eval(void* s, const void* const* in, void* const* out, eq_pool* pool) {
  (void)s, (void)in, (void)out, (void)pool;
  return kTfLiteOk;
}

static void nothing(void* s) { (void)s; }

const eq_op_kind eq_op_fused_lut = {{"LOGISTIC+MUL", kTfLiteBuiltinMul, NULL}, NULL, lut_eval, free, NULL};
const eq_op_kind eq_op_fused_away = {{"LOGISTIC (fused)", kTfLiteBuiltinLogistic, NULL}, NULL, away_eval, nothing, NULL};
