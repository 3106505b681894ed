/* GELU and RSQRT, int8: the reference arithmetic evaluated once per int8 value into a 256-entry
 * table (common/ops/gelu.c, rsqrt.c), then the x8-lut kernel; large tensors split across threads. */
#include <stdlib.h>

#include "cpu_op.h"
#include "parallel.h"
#include "x8-lut/x8-lut.h"

typedef struct {
  size_t n;
  x8_lut_fn lookup; /* the best x8-lut variant */
  int8_t lut[256];
} lut_state;

static lut_state* alloc_state(TfLiteContext* ctx, const TfLiteNode* node) {
  lut_state* s = calloc(1, sizeof(*s));
  if (s) s->n = eq_numel(eq_in(ctx, node, 0)), s->lookup = x8_lut_best();
  return s;
}

static void* create_gelu(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  lut_state* s = alloc_state(ctx, node);
  if (s)
    eq_gelu_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0),
                ((const TfLiteGeluParams*)node->builtin_data)->approximate, s->lut);
  return s;
}

static void* create_rsqrt(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  lut_state* s = alloc_state(ctx, node);
  if (s) eq_rsqrt_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), s->lut);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const lut_state* s = s_;
  eq_parallel_lut(pool, s->n, in[0], out[0], s->lut, s->lookup);
  return kTfLiteOk;
}

const eq_op_kind eq_op_gelu = {{"GELU", kTfLiteBuiltinGelu, eq_check_gelu}, create_gelu, eval, free, NULL};
const eq_op_kind eq_op_rsqrt = {{"RSQRT", kTfLiteBuiltinRsqrt, eq_check_rsqrt}, create_rsqrt, eval, free, NULL};
