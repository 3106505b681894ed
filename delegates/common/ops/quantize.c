/* QUANTIZE (float32 or int8 -> int8): what the delegates support. */
#include "ops.h"

#include "tensor.h"

const char* eq_check_quantize(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(out)) return "output is not per-tensor int8";
  if (in->type != kTfLiteFloat32 && !eq_is_qs8(in)) return "input is not float32 or per-tensor int8";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}
