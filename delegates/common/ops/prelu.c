/* PRELU: what the delegates support, and prelu.cc's Prepare-time multipliers. */
#include "ops.h"

#include "base/requant.h"
#include "broadcast.h"
#include "tensor.h"

void eq_prelu_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_prelu_params* p) {
  const TfLiteTensor *x = eq_in(ctx, node, 0), *alpha = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->x_offset = -x->params.zero_point;
  p->alpha_offset = -alpha->params.zero_point;
  p->out_zp = out->params.zero_point;
  /* prelu.cc divides and multiplies the float scales in float, then widens */
  const float pos = x->params.scale / out->params.scale;
  const float neg = x->params.scale * alpha->params.scale / out->params.scale;
  int s;
  eq_quantize_multiplier((double)pos, &p->mult_pos, &s);
  p->shift_pos = s;
  eq_quantize_multiplier((double)neg, &p->mult_neg, &s);
  p->shift_neg = s;
}

const char* eq_check_prelu(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *x = eq_in(ctx, node, 0), *alpha = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!x || !alpha || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(x) || !eq_is_qs8(alpha) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (eq_rank(out) > 4) return "rank above 4 (the reference kernel is 4-D)";
  eq_bcast bc;
  if (eq_bcast_init(&bc, x, alpha, out)) return "input and alpha do not broadcast to the output";
  qs8_prelu_params p;
  eq_prelu_prepare(ctx, node, &p);
  return p.shift_pos > 31 || p.shift_neg > 31 ? EQ_SHIFT_TOO_LARGE : NULL;
}
