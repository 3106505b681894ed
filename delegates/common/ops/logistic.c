/* LOGISTIC: what the delegates support (int8 output of scale 1/256, zero point -128). */
#include "ops.h"

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
