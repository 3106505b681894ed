/* PRELU, int8, alpha broadcasting against the input (per channel in Keras' PReLU): the qs8-vprelu
 * family kernel on the innermost runs of qs8-vbinary-nd over collapsed dimensions, cut across threads. */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "parallel.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "qs8-vprelu/qs8-vprelu.h"

typedef struct {
  qs8_prelu_params p; /* prelu.cc's Prepare (common/ops/prelu.c) */
  qs8_vbinary_nd_params nd;
} prelu_state;

static void run(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const void* p) {
  qs8_vprelu_scalar(n, x, alpha, out, p);
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
  eq_bcast_collapse(&bc);
  for (int i = 0; i < QS8_VBINARY_RANK; ++i) {
    s->nd.dims[i] = bc.dims[i];
    s->nd.a_stride[i] = (int32_t)bc.a_stride[i];
    s->nd.b_stride[i] = (int32_t)bc.b_stride[i];
  }
  s->nd.fn = run;
  s->nd.params = &s->p; /* the state is allocated once and never moves */
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const prelu_state* s = s_;
  eq_parallel_vbinary_nd(pool, &s->nd, in[0], in[1], out[0]);
  return kTfLiteOk;
}

const eq_op_kind eq_op_prelu = {{"PRELU", kTfLiteBuiltinPrelu, eq_check_prelu}, create, eval, free, NULL};
