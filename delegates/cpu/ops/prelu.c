/* PRELU, int8, alpha broadcasting against the input (per channel in Keras' PReLU): the qs8-vprelu
 * kernels (SIMD where the CPU has them) on the innermost runs of qs8-vbinary-nd over collapsed
 * dimensions, cut across threads; a one-element constant alpha makes the op a 256-entry table
 * (x8-lut) filled by the scalar kernel. */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "parallel.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "qs8-vprelu/qs8-vprelu.h"
#include "x8-lut/x8-lut.h"

typedef struct {
  qs8_prelu_params p; /* prelu.cc's Prepare (common/ops/prelu.c) */
  qs8_vprelu_fn fn;
  qs8_vbinary_nd_params nd;
  x8_lut_fn lookup; /* non-NULL: alpha is a constant scalar, every output looked up in lut */
  size_t n;
  int8_t lut[256];
} prelu_state;

static void run(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const void* state) {
  const prelu_state* s = state;
  s->fn(n, x, alpha, out, &s->p);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  prelu_state* s = calloc(1, sizeof(*s));
  eq_bcast bc;
  if (!s || eq_bcast_init(&bc, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0)) != 0) {
    free(s);
    return NULL;
  }
  eq_prelu_prepare(ctx, node, &s->p);
  qs8_vprelu_init_table(&s->p);
  s->fn = qs8_vprelu_best();
  s->n = eq_numel(eq_out(ctx, node, 0));
  int8_t c;
  if (eq_const_scalar_s8(eq_in(ctx, node, 1), &c) && eq_numel(eq_in(ctx, node, 0)) == s->n) {
    int8_t x[256], cs[256];
    for (int v = 0; v < 256; ++v) x[v] = (int8_t)v, cs[v] = c; /* tables are indexed by (uint8)x */
    qs8_vprelu_scalar(256, x, cs, s->lut, &s->p);
    s->lookup = x8_lut_best();
    return s;
  }
  eq_bcast_collapse(&bc);
  for (int i = 0; i < QS8_VBINARY_RANK; ++i) {
    s->nd.dims[i] = bc.dims[i];
    s->nd.a_stride[i] = (int32_t)bc.a_stride[i];
    s->nd.b_stride[i] = (int32_t)bc.b_stride[i];
  }
  s->nd.fn = run;
  s->nd.params = s; /* the state is allocated once and never moves */
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const prelu_state* s = s_;
  if (s->lookup)
    eq_parallel_lut(pool, s->n, in[0], out[0], s->lut, s->lookup);
  else
    eq_parallel_vbinary_nd(pool, &s->nd, in[0], in[1], out[0]);
  return kTfLiteOk;
}

const eq_op_kind eq_op_prelu = {{"PRELU", kTfLiteBuiltinPrelu, eq_check_prelu}, create, eval, free, NULL};
