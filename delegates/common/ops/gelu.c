/* GELU, int8: gelu.cc's Prepare fills a 256-entry table with LUTPopulate over the exact form
 * 0.5 x erfc(-x / sqrt 2) or the tanh form (float arithmetic, -ffp-contract=off). */
#include "ops.h"

#include <math.h>

#include "tensor.h"

const char* eq_check_gelu(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !in || !out || node->inputs->size != 1) return "unexpected arity";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}

static float gelu_exact(float x) { return 0.5f * x * erfcf(x * (float)(-0.70710678118654752440)); }

static float gelu_tanh(float x) {
  const float k = (float)(1.12837916709551257390 * 0.70710678118654752440); /* sqrt(2 / pi) */
  return 0.5f * x * (1.f + tanhf(k * (x + 0.044715f * x * x * x)));
}

void eq_gelu_lut(const TfLiteTensor* in, const TfLiteTensor* out, int approximate, int8_t lut[256]) {
  const float inverse_scale = 1 / out->params.scale;
  for (int32_t v = -128; v <= 127; ++v) {
    const float dequantized = in->params.scale * (float)(v - in->params.zero_point);
    const float transformed = approximate ? gelu_tanh(dequantized) : gelu_exact(dequantized);
    const float rescaled = roundf(transformed * inverse_scale);
    int32_t q = (int32_t)(rescaled + (float)out->params.zero_point);
    q = q < -128 ? -128 : (q > 127 ? 127 : q);
    lut[(uint8_t)(int8_t)v] = (int8_t)q;
  }
}
