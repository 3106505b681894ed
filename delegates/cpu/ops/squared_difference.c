/* SQUARED_DIFFERENCE, int8, with broadcasting: a 256 x 256 table of the reference arithmetic
 * (common/ops/squared_difference.c), looked up along qs8-vbinary-nd's runs (LayerNorm's
 * [.., C] against its [.., 1] mean is one run of C against a repeated value per row). */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "parallel.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"

typedef struct {
  int8_t table[65536];
  qs8_vbinary_nd_params nd;
} sqdiff_state;

static void lookup(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const int8_t* t = ((const sqdiff_state*)state)->table;
  for (size_t i = 0; i < n; ++i) out[i] = t[(size_t)(uint8_t)a[i] << 8 | (uint8_t)b[i]];
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  sqdiff_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out) != 0) {
    free(s);
    return NULL;
  }
  eq_bcast_collapse(&bc);
  for (int i = 0; i < QS8_VBINARY_RANK; ++i) {
    s->nd.dims[i] = bc.dims[i];
    s->nd.a_stride[i] = (int32_t)bc.a_stride[i];
    s->nd.b_stride[i] = (int32_t)bc.b_stride[i];
  }
  s->nd.fn = lookup;
  s->nd.params = s;
  eq_squared_difference_table(ctx, node, s->table);
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const sqdiff_state* s = s_;
  eq_parallel_vbinary_nd(pool, &s->nd, in[0], in[1], out[0]);
  return kTfLiteOk;
}

const eq_op_kind eq_op_squared_difference = {
    {"SQUARED_DIFFERENCE", kTfLiteBuiltinSquaredDifference, eq_check_squared_difference}, create, eval, free, NULL};
