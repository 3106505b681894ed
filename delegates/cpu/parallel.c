/* Elementwise work split; see parallel.h. */
#include "parallel.h"

#include "split.h"

typedef struct {
  const int8_t* x;
  int8_t* y;
  const int8_t* table;
  void (*lookup)(size_t, const int8_t*, int8_t*, const int8_t[256]);
} lut_ctx;

static void lut_range(const void* ctx, size_t b, size_t e) {
  const lut_ctx* c = ctx;
  c->lookup(e - b, c->x + b, c->y + b, c->table);
}

void eq_parallel_lut(eq_pool* pool, size_t n, const int8_t* x, int8_t* y, const int8_t table[256],
                     void (*lookup)(size_t n, const int8_t* input, int8_t* output, const int8_t table[256])) {
  const lut_ctx c = {x, y, table, lookup};
  /* a lookup is cheap per element: twice the elementwise minimum before splitting */
  eq_pool_for_ranges(pool, n, 2 * EQ_EW_MIN_ELEMS, lut_range, &c);
}

typedef struct {
  const qs8_vbinary_nd_params* p;
  const int8_t *a, *b;
  int8_t* out;
  int dim;          /* the dimension cut */
  size_t out_step;  /* output elements per index of that dimension */
  size_t chunks;
} nd_job;

static void nd_task(void* arg, size_t t) {
  const nd_job* j = arg;
  size_t b, e;
  eq_chunk((size_t)j->p->dims[j->dim], 1, j->chunks, t, &b, &e);
  if (b >= e) return;
  qs8_vbinary_nd_params part = *j->p;
  part.dims[j->dim] = (int32_t)(e - b);
  qs8_vbinary_nd(&part, j->a + b * (size_t)j->p->a_stride[j->dim], j->b + b * (size_t)j->p->b_stride[j->dim],
                 j->out + b * j->out_step);
}

void eq_parallel_vbinary_nd(eq_pool* pool, const qs8_vbinary_nd_params* p, const int8_t* a, const int8_t* b,
                            int8_t* out) {
  int dim = -1;
  size_t total = 1, out_step = 1;
  for (int i = QS8_VBINARY_RANK - 1; i >= 0; --i) {
    if (p->dims[i] > 1) dim = i;
    total *= (size_t)(p->dims[i] > 0 ? p->dims[i] : 0);
  }
  size_t chunks = dim < 0 ? 1 : eq_elementwise_chunks(total, EQ_EW_MIN_ELEMS, eq_pool_threads(pool));
  if (dim >= 0 && chunks > (size_t)p->dims[dim]) chunks = (size_t)p->dims[dim];
  if (chunks <= 1) {
    qs8_vbinary_nd(p, a, b, out);
    return;
  }
  for (int i = dim + 1; i < QS8_VBINARY_RANK; ++i) out_step *= (size_t)p->dims[i];
  nd_job j = {p, a, b, out, dim, out_step, chunks};
  eq_pool_parallel_for(pool, chunks, nd_task, &j);
}
