/* CONCATENATION: what both delegates support (inputs sharing the output's int8 quantization,
 * as the int8 kernel requires), and the layout both copy by. */
#include "ops.h"

#include "tensor.h"

const char* eq_check_concatenation(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteConcatenationParams* p = (const TfLiteConcatenationParams*)node->builtin_data;
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !out || node->inputs->size < 1) return "missing tensors";
  if (!eq_is_qs8(out)) return "output is not per-tensor int8";
  if (p->activation != kTfLiteActNone) return "fused activation";
  const int rank = eq_rank(out);
  const int axis = p->axis < 0 ? p->axis + rank : p->axis;
  if (axis < 0 || axis >= rank) return "axis out of range";
  int axis_sum = 0;
  for (int i = 0; i < node->inputs->size; ++i) {
    const TfLiteTensor* t = eq_in(ctx, node, i);
    if (!t || !eq_is_qs8(t) || !eq_same_quant(t, out)) return "inputs do not share the output's int8 quantization";
    if (eq_rank(t) != rank) return "rank mismatch";
    for (int d = 0; d < rank; ++d)
      if (d != axis && eq_dim(t, d) != eq_dim(out, d)) return "shape mismatch";
    axis_sum += eq_dim(t, axis);
  }
  if (axis_sum != eq_dim(out, axis)) return "shape mismatch";
  return NULL;
}

void eq_concatenation_layout(TfLiteContext* ctx, const TfLiteNode* node, int* axis, size_t* outer, size_t* inner) {
  const TfLiteConcatenationParams* p = (const TfLiteConcatenationParams*)node->builtin_data;
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  const int rank = eq_rank(out);
  *axis = p->axis < 0 ? p->axis + rank : p->axis;
  *outer = *inner = 1;
  for (int d = 0; d < *axis; ++d) *outer *= (size_t)eq_dim(out, d);
  for (int d = *axis + 1; d < rank; ++d) *inner *= (size_t)eq_dim(out, d);
}
