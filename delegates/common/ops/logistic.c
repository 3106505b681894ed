/* LOGISTIC: what the delegates support (int8 output of scale 1/256, zero point -128). */
#include "ops.h"

#include <math.h>

#include "tensor.h"

const char* eq_check_logistic(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (out->params.scale != 1.f / 256 || out->params.zero_point != -128)
    return "output is not scale 1/256, zero point -128";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}

/* LUTPopulate<int8_t> of the reference kernel: float arithmetic with expf (built with
 * -ffp-contract=off, so it rounds as the runtime's does). */
void eq_logistic_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]) {
  const float inverse_scale = 1 / out->params.scale;
  for (int32_t v = -128; v <= 127; ++v) {
    const float dequantized = in->params.scale * (float)(v - in->params.zero_point);
    const float transformed = 1.0f / (1.0f + expf(-dequantized));
    const float rescaled = roundf(transformed * inverse_scale);
    int32_t q = (int32_t)(rescaled + (float)out->params.zero_point);
    q = q < -128 ? -128 : (q > 127 ? 127 : q);
    lut[(uint8_t)(int8_t)v] = (int8_t)q;
  }
}
