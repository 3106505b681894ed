/* MUL: what the delegates support, and mul.cc's Prepare-time multiplier. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_mul(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteMulParams* p = (const TfLiteMulParams*)node->builtin_data;
  const char* why = p ? eq_check_binary(ctx, node, p->activation) : "unexpected arity";
  if (why) return why;
  eq_mul_params mp;
  eq_mul_prepare(ctx, node, &mp);
  return mp.shift > 31 ? EQ_SHIFT_TOO_LARGE : NULL;
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
