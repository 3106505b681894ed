/* DEQUANTIZE: int8 -> float32, (float)((double)scale * (x - zero_point)). */
#include <stdlib.h>

#include "cpu_op.h"

typedef struct {
  size_t n;
  double scale;
  int32_t zp;
} dequantize_state;

static const char* check(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || out->type != kTfLiteFloat32) return "not int8 -> float32";
  if (eq_is_const(in)) return "constant input (folded by the runtime)";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  dequantize_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->n = eq_numel(in);
  s->scale = (double)in->params.scale;
  s->zp = in->params.zero_point;
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const dequantize_state* s = s_;
  const int8_t* x = in[0];
  float* y = out[0];
  for (size_t i = 0; i < s->n; ++i) y[i] = (float)(s->scale * (double)(x[i] - s->zp));
  return kTfLiteOk;
}

const eq_op_kind eq_op_dequantize = {"DEQUANTIZE", kTfLiteBuiltinDequantize, check, create, eval, free, NULL};
