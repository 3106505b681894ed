/* SLICE of int8 data: an odometer over the outer output axes, one memcpy per innermost run. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

typedef struct {
  int rank;
  size_t size[EQ_SLICE_MAX_RANK], in_stride[EQ_SLICE_MAX_RANK];
  size_t offset, count; /* input offset of the first element; output elements */
} slice_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  int begin[EQ_SLICE_MAX_RANK], size[EQ_SLICE_MAX_RANK];
  if (eq_slice_bounds(ctx, node, begin, size)) return NULL;
  slice_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->rank = eq_rank(in);
  size_t stride = 1;
  s->count = 1;
  for (int d = s->rank - 1; d >= 0; --d) {
    s->in_stride[d] = stride;
    s->size[d] = (size_t)size[d];
    s->offset += (size_t)begin[d] * stride;
    s->count *= (size_t)size[d];
    stride *= (size_t)eq_dim(in, d);
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const slice_state* s = s_;
  const int8_t* x = (const int8_t*)in[0] + s->offset;
  int8_t* y = out[0];
  const int last = s->rank - 1;
  const size_t inner = s->size[last];
  if (s->count == 0 || inner == 0) return kTfLiteOk;
  size_t idx[EQ_SLICE_MAX_RANK] = {0}, src = 0;
  for (size_t done = 0; done < s->count; done += inner, y += inner) {
    memcpy(y, x + src, inner);
    for (int d = last - 1; d >= 0; --d) {
      src += s->in_stride[d];
      if (++idx[d] < s->size[d]) break;
      src -= s->in_stride[d] * s->size[d];
      idx[d] = 0;
    }
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_slice = {{"SLICE", kTfLiteBuiltinSlice, eq_check_slice}, create, eval, free, NULL};
