/* DEQUANTIZE: int8 -> float32, (float)((double)scale * (x - zero_point)). */
#include <stdlib.h>

#include "cpu_op.h"

typedef struct {
  size_t n;
  double scale;
  int32_t zp;
} dequantize_state;

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

const eq_op_kind eq_op_dequantize = {{"DEQUANTIZE", kTfLiteBuiltinDequantize, eq_check_dequantize},
                                     create, eval, free, NULL};
