/* SQUARED_DIFFERENCE, int8, with broadcasting: a 256 x 256 table of the reference arithmetic
 * (common/ops/squared_difference.c), looked up along qs8-vbinary-nd's runs (LayerNorm's
 * [.., C] against its [.., 1] mean is one run of C against a repeated value per row). Where one
 * input repeats a value along every run, the run is a 256-entry slice of the table (a row, or a
 * row of its transpose) looked up by the x8-lut kernel. */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "parallel.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "x8-lut/x8-lut.h"

typedef struct {
  int8_t table[65536];     /* [(uint8)a << 8 | (uint8)b] */
  int8_t* by_b;            /* its transpose, [(uint8)b << 8 | (uint8)a], when b repeats along runs */
  x8_lut_fn lut;
  qs8_vbinary_nd_params nd;
} sqdiff_state;

static void lookup(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const int8_t* t = ((const sqdiff_state*)state)->table;
  for (size_t i = 0; i < n; ++i) out[i] = t[(size_t)(uint8_t)a[i] << 8 | (uint8_t)b[i]];
}

/* runs where a repeats one value: row a of the table, indexed by b */
static void lookup_a_rep(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const sqdiff_state* s = state;
  s->lut(n, b, out, s->table + ((size_t)(uint8_t)a[0] << 8));
}

/* runs where b repeats one value: row b of the transpose, indexed by a */
static void lookup_b_rep(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const sqdiff_state* s = state;
  s->lut(n, a, out, s->by_b + ((size_t)(uint8_t)b[0] << 8));
}

static void destroy(void* s_) {
  sqdiff_state* s = s_;
  if (s) free(s->by_b);
  free(s);
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
  s->lut = x8_lut_best();
  const int32_t as = s->nd.a_stride[QS8_VBINARY_RANK - 1], bs = s->nd.b_stride[QS8_VBINARY_RANK - 1];
  if (as == 0 && bs == 1) {
    s->nd.fn = lookup_a_rep;
  } else if (as == 1 && bs == 0 && (s->by_b = malloc(65536)) != NULL) {
    for (size_t i = 0; i < 65536; ++i) s->by_b[(i & 255) << 8 | i >> 8] = s->table[i];
    s->nd.fn = lookup_b_rep;
  }
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const sqdiff_state* s = s_;
  eq_parallel_vbinary_nd(pool, &s->nd, in[0], in[1], out[0]);
  return kTfLiteOk;
}

const eq_op_kind eq_op_squared_difference = {
    {"SQUARED_DIFFERENCE", kTfLiteBuiltinSquaredDifference, eq_check_squared_difference}, create, eval, destroy, NULL};
