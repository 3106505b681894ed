/* MUL: what the delegates support, and mul.cc's Prepare-time multiplier. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_mul(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteMulParams* p = (const TfLiteMulParams*)node->builtin_data;
  const char* why = p ? eq_check_binary(ctx, node, p->activation) : "unexpected arity";
  if (why) return why;
  qs8_mul_params mp;
  eq_mul_prepare(ctx, node, &mp);
  return mp.shift > 31 ? EQ_SHIFT_TOO_LARGE : NULL;
}

void eq_mul_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_mul_params* p) {
  const TfLiteMulParams* params = (const TfLiteMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->a_offset = -a->params.zero_point;
  p->b_offset = -b->params.zero_point;
  p->out_zp = out->params.zero_point;
  /* mul.cc multiplies the float scales in float, then widens */
  const float real = a->params.scale * b->params.scale / out->params.scale;
  int shift;
  eq_quantize_multiplier((double)real, &p->mult, &shift);
  p->shift = shift;
  eq_activation_range_int8(params->activation, out->params.scale, out->params.zero_point, &p->out_min, &p->out_max);
}

void eq_swish_lut(TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul, int8_t table[256]) {
  int8_t x[256], sig[256];
  eq_logistic_lut(eq_in(ctx, logistic, 0), eq_out(ctx, logistic, 0), sig);
  qs8_mul_params p;
  eq_mul_prepare(ctx, mul, &p);
  for (int v = 0; v < 256; ++v) x[v] = (int8_t)v;
  const int x_first = mul->inputs->data[0] == logistic->inputs->data[0];
  qs8_vmul_scalar(256, x_first ? x : sig, x_first ? sig : x, table, &p);
}
