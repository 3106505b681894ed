/* RESHAPE: what both delegates support (an int8 copy with the quantization unchanged). */
#include "ops.h"

#include "tensor.h"

const char* eq_check_reshape(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *shape = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  if (!eq_is_qs8(in) || !eq_is_qs8(out) || !eq_same_quant(in, out)) return "quantization differs";
  if (shape && !eq_is_const(shape)) return "shape is computed at run time";
  if (eq_numel(in) != eq_numel(out)) return "size mismatch";
  return NULL;
}
