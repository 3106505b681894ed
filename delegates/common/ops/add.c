/* ADD: what both delegates support, and add.cc's Prepare-time rescaling. */
#include "ops.h"

#include "base/requant.h"
#include "broadcast.h"
#include "tensor.h"

const char* eq_check_binary(TfLiteContext* ctx, const TfLiteNode* node, int activation) {
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!a || !b || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(a) || !eq_is_qs8(b) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_supported_activation(activation)) return "unsupported fused activation";
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out)) return "shapes do not broadcast (or rank > 5)";
  return NULL;
}

const char* eq_check_add(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteAddParams* p = (const TfLiteAddParams*)node->builtin_data;
  return p ? eq_check_binary(ctx, node, p->activation) : "unexpected arity";
}

void eq_add_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_add_params* p) {
  const TfLiteAddParams* params = (const TfLiteAddParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->a_offset = -a->params.zero_point;
  p->b_offset = -b->params.zero_point;
  p->out_zp = out->params.zero_point;
  p->left_shift = 20;
  /* 2 * max(float, float) is a float product in add.cc, then widened */
  const float max_scale = a->params.scale > b->params.scale ? a->params.scale : b->params.scale;
  const double twice_max = (double)(2 * max_scale);
  int sa, sb, so;
  eq_quantize_multiplier((double)a->params.scale / twice_max, &p->a_mult, &sa);
  eq_quantize_multiplier((double)b->params.scale / twice_max, &p->b_mult, &sb);
  eq_quantize_multiplier(twice_max / (double)((float)(1 << p->left_shift) * out->params.scale), &p->out_mult, &so);
  p->a_shift = sa;
  p->b_shift = sb;
  p->out_shift = so;
  eq_activation_range_int8(params->activation, out->params.scale, out->params.zero_point, &p->out_min, &p->out_max);
}
