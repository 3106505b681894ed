/* MUL, int8, with broadcasting: zp_out + MBQM((x - zx) * (y - zy), s_x*s_y/s_out). */
#include <stdlib.h>

#include "base/requant.h"
#include "broadcast.h"
#include "cpu_op.h"

typedef struct {
  eq_bcast bc;
  eq_mul_params p; /* mul.cc's Prepare (common/ops/mul.c) */
} mul_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  mul_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_bcast_init(&s->bc, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0));
  eq_mul_prepare(ctx, node, &s->p);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const mul_state* s = s_;
  const eq_mul_params* p = &s->p;
  const int8_t* a = in[0];
  const int8_t* b = in[1];
  int8_t* o = out[0];
  EQ_BCAST_FOR(&s->bc, oi, ai, bi, {
    const int32_t prod = (p->in1_offset + a[ai]) * (p->in2_offset + b[bi]);
    const int32_t r = eq_mbqm(prod, p->mult, p->shift) + p->out_offset;
    o[oi] = (int8_t)eq_clamp(r, p->act_min, p->act_max);
  });
  return kTfLiteOk;
}

const eq_op_kind eq_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, create, eval, free, NULL};
