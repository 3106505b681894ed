/* SOFTMAX, int8 in -> int8 out (scale 1/256, zero point -128): the qs8-softmax family kernel
 * (the reference kernel's gemmlowp fixed-point path) with SoftmaxPrepare's parameters. */
#include <stdlib.h>

#include "cpu_op.h"
#include "qs8-softmax/qs8-softmax.h"

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  eq_softmax_params sp;
  eq_softmax_prepare(ctx, node, &sp);
  qs8_softmax_params* s = calloc(1, sizeof(*s));
  if (!s || sp.outer > INT32_MAX || sp.depth > INT32_MAX) {
    free(s);
    return NULL;
  }
  *s = (qs8_softmax_params){(int32_t)sp.outer, (int32_t)sp.depth, sp.input_multiplier, sp.input_left_shift,
                            sp.diff_min};
  return s;
}

static TfLiteStatus eval(void* s, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  qs8_softmax(s, in[0], out[0]);
  return kTfLiteOk;
}

const eq_op_kind eq_op_softmax = {{"SOFTMAX", kTfLiteBuiltinSoftmax, eq_check_softmax}, create, eval, free, NULL};
