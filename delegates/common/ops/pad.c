/* PAD: what the delegates support (constant paddings, int8 with equal quantization). */
#include "ops.h"

#include "tensor.h"

int64_t eq_pad_amount(const TfLiteTensor* p, int i) {
  return p->type == kTfLiteInt64 ? p->data.i64[i] : p->data.i32[i];
}

const char* eq_check_pad(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *pads = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!in || !pads || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(in) || !eq_is_qs8(out) || !eq_same_quant(in, out)) return "not int8 with equal quantization";
  if (pads->type != kTfLiteInt32 && pads->type != kTfLiteInt64) return "paddings are not int32/int64";
  if (!eq_is_const(pads) || !pads->data.raw) return "paddings are not constant";
  const int rank = eq_rank(in);
  if (rank < 1 || rank > EQ_PAD_MAX_RANK || eq_rank(out) != rank) return "rank not supported";
  if (eq_numel(pads) != (size_t)rank * 2) return "paddings shape mismatch";
  for (int d = 0; d < rank; ++d) {
    const int64_t b = eq_pad_amount(pads, 2 * d), a = eq_pad_amount(pads, 2 * d + 1);
    if (b < 0 || a < 0 || eq_dim(in, d) + b + a != eq_dim(out, d)) return "paddings do not match the output";
  }
  return NULL;
}
