/* MUL: what the delegates support, and mul.cc's Prepare-time multiplier. */
#include "ops.h"

#include "base/requant.h"
#include "broadcast.h"
#include "tensor.h"

const char* eq_check_mul(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteMulParams* p = (const TfLiteMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!p || !a || !b || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(a) || !eq_is_qs8(b) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out)) return "shapes do not broadcast (or rank > 5)";
  return NULL;
}

void eq_mul_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_mul_params* p) {
  const TfLiteMulParams* params = (const TfLiteMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->in1_offset = -a->params.zero_point;
  p->in2_offset = -b->params.zero_point;
  p->out_offset = out->params.zero_point;
  /* mul.cc multiplies the float scales in float, then widens */
  const float real = a->params.scale * b->params.scale / out->params.scale;
  eq_quantize_multiplier((double)real, &p->mult, &p->shift);
  eq_activation_range_int8(params->activation, out->params.scale, out->params.zero_point, &p->act_min, &p->act_max);
}
