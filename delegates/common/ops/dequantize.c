/* DEQUANTIZE (int8 -> float32): what the delegates support. */
#include "ops.h"

#include "tensor.h"

const char* eq_check_dequantize(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || out->type != kTfLiteFloat32) return "not int8 -> float32";
  if (eq_is_const(in)) return "constant input (folded by the runtime)";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}
