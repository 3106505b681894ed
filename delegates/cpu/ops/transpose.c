/* TRANSPOSE of int8 data: axes of size 1 dropped and adjacent axes that stay adjacent merged
 * (at prepare), then an odometer over the output; a unit-stride innermost axis is one memcpy. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

typedef struct {
  int rank;                                    /* after merging, >= 1 */
  size_t out_dims[EQ_TRANSPOSE_MAX_RANK];      /* output dims */
  size_t in_stride[EQ_TRANSPOSE_MAX_RANK];     /* input stride of each output axis */
  size_t count;
} transpose_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *perm_t = eq_in(ctx, node, 1);
  const int r = eq_rank(in);
  int perm[EQ_TRANSPOSE_MAX_RANK];
  if (eq_transpose_perm(perm_t, r, perm)) return NULL;
  transpose_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  size_t stride[EQ_TRANSPOSE_MAX_RANK];
  size_t acc = 1;
  for (int d = r - 1; d >= 0; --d) {
    stride[d] = acc;
    acc *= (size_t)eq_dim(in, d);
  }
  s->count = acc;
  /* output axes in order; skip size-1 axes; merge output axis i into the previous one when the
   * previous one's input axis is the one just before it (contiguous in both) */
  int prev_axis = -2;
  for (int i = 0; i < r; ++i) {
    const int a = perm[i];
    const size_t dim = (size_t)eq_dim(in, a);
    if (dim == 1) continue;
    if (s->rank > 0 && a == prev_axis + 1) {
      s->out_dims[s->rank - 1] *= dim;
      s->in_stride[s->rank - 1] = stride[a];
    } else {
      s->out_dims[s->rank] = dim;
      s->in_stride[s->rank] = stride[a];
      s->rank++;
    }
    prev_axis = a;
  }
  if (s->rank == 0) { /* a single element */
    s->rank = 1;
    s->out_dims[0] = 1;
    s->in_stride[0] = 1;
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const transpose_state* s = s_;
  const int8_t* x = in[0];
  int8_t* y = out[0];
  const int last = s->rank - 1;
  const size_t inner = s->out_dims[last], inner_stride = s->in_stride[last];
  size_t idx[EQ_TRANSPOSE_MAX_RANK] = {0};
  size_t src = 0;
  for (size_t done = 0; done < s->count; done += inner) {
    if (inner_stride == 1) {
      memcpy(y, x + src, inner);
    } else {
      for (size_t i = 0; i < inner; ++i) y[i] = x[src + i * inner_stride];
    }
    y += inner;
    for (int d = last - 1; d >= 0; --d) { /* odometer over the outer output axes */
      src += s->in_stride[d];
      if (++idx[d] < s->out_dims[d]) break;
      src -= s->in_stride[d] * s->out_dims[d];
      idx[d] = 0;
    }
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_transpose = {{"TRANSPOSE", kTfLiteBuiltinTranspose, eq_check_transpose},
                                    create, eval, free, NULL};
