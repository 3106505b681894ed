/* MEAN, int8, over any constant set of axes: integer sum, then one requantization with
 * the 1/count factor folded into the multiplier (reference QuantizedMeanOrSum). */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  eq_mean_params p;                    /* common/ops/mean.c */
  size_t out_stride[EQ_MEAN_MAX_RANK]; /* 0 on reduced axes */
  size_t in_count, out_count;
  int32_t* sums;
} mean_state;

static void mean_destroy(void* s_) {
  mean_state* s = s_;
  if (s) free(s->sums);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  mean_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_mean_prepare(ctx, node, &s->p);
  size_t stride = 1;
  for (int i = s->p.rank - 1; i >= 0; --i) {
    s->out_stride[i] = s->p.reduced[i] ? 0 : stride;
    if (!s->p.reduced[i]) stride *= (size_t)s->p.dims[i];
  }
  s->out_count = stride;
  s->in_count = eq_numel(eq_in(ctx, node, 0));
  s->sums = malloc(sizeof(int32_t) * (s->out_count ? s->out_count : 1));
  if (!s->sums) {
    mean_destroy(s);
    return NULL;
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  mean_state* s = s_;
  const int8_t* x = in[0];
  int8_t* y = out[0];
  memset(s->sums, 0, sizeof(int32_t) * s->out_count);
  int idx[EQ_MEAN_MAX_RANK] = {0};
  size_t o = 0;
  for (size_t i = 0; i < s->in_count; ++i) {
    s->sums[o] += x[i];
    /* advance the N-D index and the output offset together */
    for (int d = s->p.rank - 1; d >= 0; --d) {
      if (++idx[d] < s->p.dims[d]) {
        o += s->out_stride[d];
        break;
      }
      o -= s->out_stride[d] * (size_t)(s->p.dims[d] - 1);
      idx[d] = 0;
    }
  }
  for (size_t i = 0; i < s->out_count; ++i) {
    const int32_t shifted = (int32_t)((uint32_t)s->sums[i] - (uint32_t)s->p.in_zp * (uint32_t)s->p.count);
    const int32_t v = eq_mbqm(shifted, s->p.mult, s->p.shift) + s->p.out_zp;
    y[i] = (int8_t)eq_clamp(v, -128, 127);
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_mean = {{"MEAN", kTfLiteBuiltinMean, eq_check_mean}, create, eval, mean_destroy, NULL};
