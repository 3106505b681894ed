/* HARD_SWISH: what the delegates support (the reference's int16 fixed-point path needs an output
 * multiplier below 1). */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_hard_swish(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  const float hires = (1.0f / 128.0f) * in->params.scale;
  int32_t m;
  int e;
  eq_quantize_multiplier((double)(hires / out->params.scale), &m, &e);
  if (e > 0) return "output scale too small for the int16 path";
  return NULL;
}
