/* ADD, int8, with broadcasting. Both inputs are rescaled to a common 2x-max scale with
 * 20 bits of headroom, summed, and rescaled to the output (add.cc Prepare + AddFunc).
 * Same-shape inputs (residual connections) go through the SIMD kernels of kernels/qs8-vadd, split
 * across threads; broadcasting ones (LayerNorm's + beta, a bias row) walk qs8-vbinary-nd over
 * collapsed dimensions, which hands the same kernels whole innermost runs; an input that is a
 * one-element constant (x + c, c - x) makes the op a 256-entry table (x8-lut) filled by the
 * kernel's own arithmetic. Where the CPU gathers (x86), big ops look every output up in a 64K-entry
 * table over both input bytes (x8-lut2d), filled once by the same kernel. */
#include <stdlib.h>

#include "qs8-vadd/qs8-vadd.h"

#include "broadcast.h"
#include "cpu_op.h"
#include "base/isa.h"
#include "base/requant.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include <string.h>

#include "x8-lut/x8-lut.h"
#include "x8-lut2d/x8-lut2d.h"
#include "parallel.h"

typedef struct {
  eq_bcast bc;
  qs8_add_params p;       /* add.cc's Prepare (common/ops/add.c) */
  qs8_vadd_fn same_shape; /* NULL: broadcasting (or shifts the kernels do not take) */
  qs8_vadd_fn vec;        /* the vector kernel for broadcast runs; NULL: scalar loop */
  qs8_vbinary_nd_params nd;
  x8_lut_fn lookup;       /* non-NULL: input `varying` against a constant scalar, through lut */
  x8_lut2d_fn pair;       /* non-NULL: same_shape / vec runs look up pair_table instead */
  int8_t* pair_table;
  int varying;
  int8_t lut[256];
  size_t n;
} add_state;

static void add_run(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const add_state* s = state;
  if (s->pair)
    s->pair(n, a, b, out, s->pair_table);
  else
    s->vec(n, a, b, out, &s->p);
}

/* Below this many outputs the table's 64 KiB would mostly be cache misses. */
enum { PAIR_TABLE_MIN = 1 << 14 };

/* The 64K-entry table of every (a, b), row (uint8)a, filled by the vector kernel (not where that
 * kernel outruns the gathers: x8_lut2d_gather_for; nor, where gathers are slow, for same-shape inputs whose
 * kernels take the fp32 form, qs8_add_fp32_form: on Zen 5 AVX2 0.23 ns per element against the AVX2
 * gathers' 0.31). */
static void use_pair_table(add_state* s, qs8_vadd_fn fill, int same_shape) {
  x8_lut2d_fn pair = x8_lut2d_gather_for(qs8_vadd_best_isa());
  double ka, kb, d;
  if (pair && same_shape && edgeq_slow_gathers() && qs8_add_fp32_form(&s->p, &ka, &kb, &d)) pair = NULL;
  if (!pair || s->n < PAIR_TABLE_MIN || !(s->pair_table = malloc(X8_LUT2D_TABLE_BYTES))) return;
  int8_t row[256], col[256];
  for (int v = 0; v < 256; ++v) col[v] = (int8_t)v;
  for (int v = 0; v < 256; ++v) {
    memset(row, v, sizeof(row));
    fill(256, row, col, s->pair_table + (v << 8), &s->p);
  }
  memset(s->pair_table + 65536, 0, X8_LUT2D_TABLE_BYTES - 65536);
  s->pair = pair;
}

/* SUB: sub.cc's Prepare is add.cc's (its options have the same layout), and its int8 kernel is
 * ADD's with the second input's multiplier negated */
static void* create_add_sub(TfLiteContext* ctx, const TfLiteNode* node, int negate_b) {
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  add_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_bcast_init(&s->bc, a, b, out);
  eq_add_prepare(ctx, node, &s->p);
  if (negate_b) s->p.b_mult = -s->p.b_mult;
  s->n = eq_numel(out);
  int8_t c;
  s->varying = eq_const_scalar_s8(b, &c) ? 0 : eq_const_scalar_s8(a, &c) ? 1 : -1;
  if (s->varying >= 0 && eq_numel(s->varying ? b : a) == s->n && s->n > 1) {
    for (int v = 0; v < 256; ++v) /* tables are indexed by (uint8)x */
      s->lut[v] = s->varying ? qs8_add1(c, (int8_t)v, &s->p) : qs8_add1((int8_t)v, c, &s->p);
    s->lookup = x8_lut_best();
    return s;
  }
  /* right shifts only: SmallerThanOneExp never shifts left, the vector requant would */
  const int right_only = s->p.a_shift <= 0 && s->p.b_shift <= 0 && s->p.out_shift <= 0;
  if (eq_numel(a) == s->n && eq_numel(b) == s->n && right_only) {
    s->same_shape = qs8_vadd_best();
    use_pair_table(s, s->same_shape, 1);
  } else if (right_only) {
    s->vec = qs8_vadd_best();
    use_pair_table(s, s->vec, 0);
    eq_bcast bc = s->bc;
    eq_bcast_collapse(&bc);
    for (int i = 0; i < QS8_VBINARY_RANK; ++i) {
      s->nd.dims[i] = bc.dims[i];
      s->nd.a_stride[i] = (int32_t)bc.a_stride[i];
      s->nd.b_stride[i] = (int32_t)bc.b_stride[i];
    }
    s->nd.fn = add_run;
    s->nd.params = s;
  }
  return s;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  return create_add_sub(ctx, node, 0);
}

typedef struct {
  const add_state* s;
  const int8_t *a, *b;
  int8_t* o;
} add_job;

static void add_range(const void* arg, size_t i0, size_t i1) {
  const add_job* j = arg;
  if (j->s->pair)
    j->s->pair(i1 - i0, j->a + i0, j->b + i0, j->o + i0, j->s->pair_table);
  else
    j->s->same_shape(i1 - i0, j->a + i0, j->b + i0, j->o + i0, &j->s->p);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const add_state* s = s_;
  const int8_t* a = in[0];
  const int8_t* b = in[1];
  int8_t* o = out[0];
  if (s->lookup) {
    eq_parallel_lut(pool, s->n, in[s->varying], o, s->lut, s->lookup);
    return kTfLiteOk;
  }
  if (s->same_shape) {
    /* residual adds of early layers are ~1e5-1e6 elements: worth splitting across threads */
    const add_job j = {s, a, b, o};
    eq_pool_for_ranges(pool, s->n, (size_t)1 << 13, add_range, &j);
    return kTfLiteOk;
  }
  if (s->vec) {
    eq_parallel_vbinary_nd(pool, &s->nd, a, b, o);
    return kTfLiteOk;
  }
  EQ_BCAST_FOR(&s->bc, oi, ai, bi, { o[oi] = qs8_add1(a[ai], b[bi], &s->p); });
  return kTfLiteOk;
}

static void destroy(void* s_) {
  add_state* s = s_;
  if (s) free(s->pair_table);
  free(s);
}

const eq_op_kind eq_op_add = {{"ADD", kTfLiteBuiltinAdd, eq_check_add}, create, eval, destroy, NULL};

static void* create_sub(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  return create_add_sub(ctx, node, 1);
}

const eq_op_kind eq_op_sub = {{"SUB", kTfLiteBuiltinSub, eq_check_add}, create_sub, eval, destroy, NULL};
