/* MEAN, int8, over any constant set of axes: integer sum, then one requantization with
 * the 1/count factor folded into the multiplier (reference QuantizedMeanOrSum). */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "base/requant.h"

#define MEAN_MAX_RANK EQ_MEAN_MAX_RANK

typedef struct {
  int rank;
  int dims[MEAN_MAX_RANK];
  int reduced[MEAN_MAX_RANK];
  size_t out_stride[MEAN_MAX_RANK]; /* 0 on reduced axes */
  size_t in_count, out_count;
  int64_t count;                    /* elements per output */
  int32_t in_zp, out_zp, mult;
  int shift;
  int32_t* sums;
} mean_state;


static void mean_destroy(void* s_) {
  mean_state* s = s_;
  if (s) free(s->sums);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *axis = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  mean_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->rank = eq_rank(in);
  eq_mean_axes(in, axis, s->reduced);
  size_t stride = 1;
  s->count = 1;
  for (int i = s->rank - 1; i >= 0; --i) {
    s->dims[i] = eq_dim(in, i);
    if (s->reduced[i]) {
      s->out_stride[i] = 0;
      s->count *= s->dims[i];
    } else {
      s->out_stride[i] = stride;
      stride *= (size_t)s->dims[i];
    }
  }
  s->out_count = stride;
  s->in_count = eq_numel(in);
  s->in_zp = in->params.zero_point;
  s->out_zp = out->params.zero_point;
  int32_t m;
  int sh;
  eq_quantize_multiplier((double)in->params.scale / (double)out->params.scale, &m, &sh);
  /* fold 1/count into the multiplier, clamping the shift like the reference */
  int shift = 63 - __builtin_clzll((unsigned long long)s->count);
  if (shift > 32) shift = 32;
  if (shift > 31 + sh) shift = 31 + sh;
  s->mult = (int32_t)(((int64_t)m << shift) / s->count);
  s->shift = sh - shift;
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
  int idx[MEAN_MAX_RANK] = {0};
  size_t o = 0;
  for (size_t i = 0; i < s->in_count; ++i) {
    s->sums[o] += x[i];
    /* advance the N-D index and the output offset together */
    for (int d = s->rank - 1; d >= 0; --d) {
      if (++idx[d] < s->dims[d]) {
        o += s->out_stride[d];
        break;
      }
      o -= s->out_stride[d] * (size_t)(s->dims[d] - 1);
      idx[d] = 0;
    }
  }
  for (size_t i = 0; i < s->out_count; ++i) {
    const int32_t shifted = (int32_t)((uint32_t)s->sums[i] - (uint32_t)s->in_zp * (uint32_t)s->count);
    const int32_t v = eq_mbqm(shifted, s->mult, s->shift) + s->out_zp;
    y[i] = (int8_t)eq_clamp(v, -128, 127);
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_mean = {"MEAN", kTfLiteBuiltinMean, eq_check_mean, create, eval, mean_destroy, NULL};
