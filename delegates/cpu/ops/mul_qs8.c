/* MUL, int8, with broadcasting: zp_out + MBQM((x - zx) * (y - zy), s_x*s_y/s_out). */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  eq_bcast bc;
  int32_t in1_off, in2_off, out_off, mult;
  int shift;
  int32_t act_min, act_max;
} mul_state;

static const char* check(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteMulParams* p = (const TfLiteMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!p || !a || !b || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(a) || !eq_is_qs8(b) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out)) return "shapes do not broadcast (or rank > 5)";
  return NULL;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteMulParams* p = (const TfLiteMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  mul_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_bcast_init(&s->bc, a, b, out);
  s->in1_off = -a->params.zero_point;
  s->in2_off = -b->params.zero_point;
  s->out_off = out->params.zero_point;
  /* mul.cc multiplies the float scales in float, then widens */
  const float real = a->params.scale * b->params.scale / out->params.scale;
  eq_quantize_multiplier((double)real, &s->mult, &s->shift);
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &s->act_min, &s->act_max);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const mul_state* s = s_;
  const int8_t* a = in[0];
  const int8_t* b = in[1];
  int8_t* o = out[0];
  EQ_BCAST_FOR(&s->bc, oi, ai, bi, {
    const int32_t prod = (s->in1_off + a[ai]) * (s->in2_off + b[bi]);
    const int32_t r = eq_mbqm(prod, s->mult, s->shift) + s->out_off;
    o[oi] = (int8_t)eq_clamp(r, s->act_min, s->act_max);
  });
  return kTfLiteOk;
}

const eq_op_kind eq_op_mul = {"MUL", kTfLiteBuiltinMul, check, create, eval, free, NULL};
