/* RESHAPE of int8 tensors: a copy (the runtime may not alias our buffers). */
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct {
  size_t bytes;
} reshape_state;

static const char* check(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *shape = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  if (!eq_is_qs8(in) || !eq_is_qs8(out) || !eq_same_quant(in, out)) return "quantization differs";
  if (shape && !eq_is_const(shape)) return "shape is computed at run time";
  if (eq_numel(in) != eq_numel(out)) return "size mismatch";
  return NULL;
}

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

const eq_op_kind eq_op_reshape = {"RESHAPE", kTfLiteBuiltinReshape, check, create, eval, free, NULL};
