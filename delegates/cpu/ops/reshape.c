/* RESHAPE of int8 tensors: a copy (the runtime may not alias our buffers). */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

typedef struct {
  size_t bytes;
} reshape_state;


static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  reshape_state* s = calloc(1, sizeof(*s));
  if (s) s->bytes = eq_numel(eq_in(ctx, node, 0));
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const reshape_state* s = s_;
  if (out[0] != in[0]) memmove(out[0], in[0], s->bytes);
  return kTfLiteOk;
}

const eq_op_kind eq_op_reshape = {{"RESHAPE", kTfLiteBuiltinReshape, eq_check_reshape}, create, eval, free, NULL};
