/* HARD_SWISH, int8: the reference kernel's int16 fixed-point path as a 256-entry table
 * (common/ops/hard_swish.c), then a lookup per element (x8-lut). */
#include <stdlib.h>

#include "cpu_op.h"
#include "parallel.h"
#include "x8-lut/x8-lut.h"

typedef struct {
  size_t n;
  x8_lut_fn lookup; /* the best x8-lut variant */
  int8_t lut[256];
} hswish_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  hswish_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->n = eq_numel(eq_in(ctx, node, 0));
  s->lookup = x8_lut_best();
  eq_hard_swish_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), s->lut);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const hswish_state* s = s_;
  eq_parallel_lut(pool, s->n, in[0], out[0], s->lut, s->lookup);
  return kTfLiteOk;
}

const eq_op_kind eq_op_hard_swish = {{"HARD_SWISH", kTfLiteBuiltinHardSwish, eq_check_hard_swish},
                                     create, eval, free, NULL};
