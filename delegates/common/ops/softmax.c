/* SOFTMAX: what both delegates support, and the Prepare-time scaling of the reference kernel's
 * gemmlowp fixed-point path (PreprocessSoftmaxScaling + CalculateInputRadius). */
#include "ops.h"

#include <math.h>

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_softmax(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (out->params.zero_point != -128 || fabsf(out->params.scale - 1.f / 256) > 0.001f / 256)
    return "output is not scale 1/256, zero point -128";
  if (eq_rank(in) < 1 || eq_numel(in) != eq_numel(out)) return "shape mismatch";
  /* PreprocessSoftmaxScaling needs beta * scale * 2^26 > 1 (QuantizeMultiplierGreaterThanOne):
   * below it LiteRT's reference kernel aborts and its shifts would go negative, so there is no
   * exact result to match; the runtime's own kernel takes such a node. */
  const TfLiteSoftmaxParams* p = (const TfLiteSoftmaxParams*)node->builtin_data;
  if ((double)p->beta * (double)in->params.scale * (double)(1LL << (31 - EQ_SOFTMAX_DIFF_INTEGER_BITS)) <= 1.0)
    return "input scale x beta <= 2^-26: LiteRT's reference kernel aborts on it (no exact result to match)";
  return NULL;
}

void eq_softmax_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_softmax_params* s) {
  const TfLiteSoftmaxParams* p = (const TfLiteSoftmaxParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  enum { kBits = EQ_SOFTMAX_DIFF_INTEGER_BITS };
  s->depth = (size_t)eq_dim(in, eq_rank(in) - 1);
  s->outer = s->depth ? eq_numel(in) / s->depth : 0;
  double real = (double)p->beta * (double)in->params.scale * (double)(1LL << (31 - kBits));
  if (real > (double)((1LL << 31) - 1)) real = (double)((1LL << 31) - 1);
  eq_quantize_multiplier(real, &s->input_multiplier, &s->input_left_shift);
  const double max_input_rescaled =
      1.0 * ((1 << kBits) - 1) * (double)(1LL << (31 - kBits)) / (double)(1LL << s->input_left_shift);
  s->diff_min = (int)(-1.0 * (double)(int)floor(max_input_rescaled));
}
