/* AVERAGE_POOL_2D and MAX_POOL_2D: what both delegates support, and the geometry. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_pool2d(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLitePoolParams* p = (const TfLitePoolParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!p || !in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_same_quant(in, out)) return "input and output quantization differ";
  if (eq_rank(in) != 4 || eq_rank(out) != 4 || eq_dim(in, 3) != eq_dim(out, 3) || eq_dim(in, 0) != eq_dim(out, 0))
    return "not 4-D NHWC";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->filter_width < 1 || p->filter_height < 1)
    return "bad stride/filter";
  return NULL;
}

void eq_pool2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_pool2d_params* s) {
  const TfLitePoolParams* p = (const TfLitePoolParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  s->batches = eq_dim(in, 0);
  s->in_h = eq_dim(in, 1);
  s->in_w = eq_dim(in, 2);
  s->c = eq_dim(in, 3);
  s->out_h = eq_dim(out, 1);
  s->out_w = eq_dim(out, 2);
  s->fh = p->filter_height;
  s->fw = p->filter_width;
  s->sh = p->stride_height;
  s->sw = p->stride_width;
  s->pad_h = eq_pad_before(s->sh, 1, s->in_h, s->fh, s->out_h);
  s->pad_w = eq_pad_before(s->sw, 1, s->in_w, s->fw, s->out_w);
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &s->act_min, &s->act_max);
}
