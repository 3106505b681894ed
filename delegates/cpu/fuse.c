/* The fused table kinds of fuse.h. */
#include "fuse.h"

#include <stdlib.h>

#include "parallel.h"
#include "x8-lut/x8-lut.h"

typedef struct {
  size_t n;
  x8_lut_fn lookup; /* the best x8-lut variant */
  int8_t table[256];
} fused_lut;

void* eq_fused_swish_create(TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul, size_t n) {
  fused_lut* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_swish_lut(ctx, logistic, mul, s->table);
  s->n = n;
  s->lookup = x8_lut_best();
  return s;
}

static TfLiteStatus lut_eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const fused_lut* s = s_;
  eq_parallel_lut(pool, s->n, in[0], out[0], s->table, s->lookup);
  return kTfLiteOk;
}

static TfLiteStatus away_eval(void* s, const void* const* in, void* const* out, eq_pool* pool) {
  (void)s, (void)in, (void)out, (void)pool;
  return kTfLiteOk;
}

static void nothing(void* s) { (void)s; }

const eq_op_kind eq_op_fused_lut = {{"LOGISTIC+MUL", kTfLiteBuiltinMul, NULL}, NULL, lut_eval, free, NULL};
const eq_op_kind eq_op_fused_away = {{"LOGISTIC (fused)", kTfLiteBuiltinLogistic, NULL}, NULL, away_eval, nothing, NULL};
const eq_op_kind eq_op_fused_pad_away = {{"PAD (fused)", kTfLiteBuiltinPad, NULL}, NULL, away_eval, nothing, NULL};
