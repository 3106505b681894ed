/* DEPTHWISE_CONV_2D: what both delegates support (its geometry is in conv2d.c). */
#include "ops.h"

#include "tensor.h"
#include "weights.h"

const char* eq_check_depthwise_conv2d(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteDepthwiseConvParams* p = (const TfLiteDepthwiseConvParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !in || !w || !out) return "missing inputs";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "activations are not per-tensor int8";
  if (eq_rank(in) != 4 || eq_rank(w) != 4 || eq_rank(out) != 4 || eq_dim(w, 0) != 1) return "not 4-D";
  const int oc = eq_dim(out, 3), ic = eq_dim(in, 3);
  if (eq_dim(w, 3) != oc || ic == 0 || oc % ic != 0) return "channel mismatch";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->dilation_width_factor < 1 || p->dilation_height_factor < 1)
    return "bad stride/dilation";
  const char* why = eq_check_weights(w, 3, oc);
  if (why) return why;
  return eq_check_bias(b, oc);
}
