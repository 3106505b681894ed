/* LOGISTIC, int8: the 256-entry table the reference kernel builds (LUTPopulate<int8_t>,
 * float arithmetic with expf), then a lookup per element. */
#include <math.h>
#include <stdlib.h>

#include "cpu_op.h"

typedef struct {
  size_t n;
  int8_t lut[256];
} logistic_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  logistic_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->n = eq_numel(in);
  const float inverse_scale = 1 / out->params.scale;
  for (int32_t v = -128; v <= 127; ++v) {
    const float dequantized = in->params.scale * (float)(v - in->params.zero_point);
    const float transformed = 1.0f / (1.0f + expf(-dequantized));
    const float rescaled = roundf(transformed * inverse_scale);
    int32_t q = (int32_t)(rescaled + (float)out->params.zero_point);
    q = q < -128 ? -128 : (q > 127 ? 127 : q);
    s->lut[(uint8_t)(int8_t)v] = (int8_t)q;
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const logistic_state* s = s_;
  const int8_t* x = in[0];
  int8_t* y = out[0];
  for (size_t i = 0; i < s->n; ++i) y[i] = s->lut[(uint8_t)x[i]];
  return kTfLiteOk;
}

const eq_op_kind eq_op_logistic = {{"LOGISTIC", kTfLiteBuiltinLogistic, eq_check_logistic},
                                   create, eval, free, NULL};
