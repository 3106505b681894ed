/* QUANTIZE: float32 -> int8 (AffineQuantize: round(x / scale) in float, + zero point) and
 * int8 -> int8 requantization (MBQM(x - zp_in, s_in/s_out) + zp_out). */
#include <math.h>
#include <stdlib.h>

#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  size_t n;
  int from_float;
  float scale;
  int32_t in_zp, out_zp, mult;
  int shift;
} quantize_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  quantize_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->n = eq_numel(in);
  s->from_float = in->type == kTfLiteFloat32;
  s->scale = out->params.scale;
  s->out_zp = out->params.zero_point;
  if (!s->from_float) {
    s->in_zp = in->params.zero_point;
    eq_quantize_multiplier((double)in->params.scale / (double)out->params.scale, &s->mult, &s->shift);
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const quantize_state* s = s_;
  int8_t* y = out[0];
  if (s->from_float) {
    const float* x = in[0];
    for (size_t i = 0; i < s->n; ++i) {
      const float r = roundf(x[i] / s->scale);
      /* out-of-range float->int conversion yields INT32_MIN on the runtime's x86 build */
      const int64_t q = (r >= -2147483648.0f && r < 2147483648.0f) ? (int64_t)(int32_t)r : (int64_t)INT32_MIN;
      const int64_t v = q + s->out_zp;
      y[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
  } else {
    const int8_t* x = in[0];
    for (size_t i = 0; i < s->n; ++i) {
      const int32_t v = eq_mbqm(x[i] - s->in_zp, s->mult, s->shift) + s->out_zp;
      y[i] = (int8_t)eq_clamp(v, -128, 127);
    }
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_quantize = {{"QUANTIZE", kTfLiteBuiltinQuantize, eq_check_quantize},
                                   create, eval, free, NULL};
