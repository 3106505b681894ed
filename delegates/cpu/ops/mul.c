/* MUL, int8, with broadcasting: zp_out + MBQM((x - zx) * (y - zy), s_x*s_y/s_out), through the
 * qs8-vmul kernels (SIMD where the CPU has them): same-shape inputs split across threads, broadcast
 * ones walked by qs8-vbinary-nd, which hands the vector kernel whole innermost runs (a squeeze-excite
 * scale [1,1,1,C] against [1,H,W,C] is H*W runs of C), the walk cut across threads too; an input
 * that is a one-element constant (x * c, keras Rescaling) makes the op a 256-entry table (x8-lut)
 * filled by the scalar kernel. Where the CPU gathers (x86), big ops look every output up in a 64K-entry
 * table over both input bytes (x8-lut2d), filled once by the vector kernel. */
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "parallel.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "base/isa.h"
#include "qs8-vmul/qs8-vmul.h"
#include "x8-lut/x8-lut.h"
#include "x8-lut2d/x8-lut2d.h"

typedef struct {
  qs8_mul_params p;
  qs8_vmul_fn fn;
  qs8_vbinary_nd_params nd; /* broadcasting */
  int same_shape;
  x8_lut_fn lookup; /* non-NULL: input `varying` against a constant scalar, through lut */
  int varying;
  int8_t lut[256];
  x8_lut2d_fn pair; /* non-NULL: every output looked up in pair_table instead of computed */
  int8_t* pair_table;
  size_t n;
} mul_state;

/* Below this many outputs the table's 64 KiB would mostly be cache misses. */
enum { PAIR_TABLE_MIN = 1 << 14 };

/* The 64K-entry table of every (a, b), row (uint8)a, filled by the vector kernel (not where that
 * kernel outruns the gathers: x8_lut2d_gather_for; nor, where gathers are slow, for same-shape inputs whose
 * kernels take the fp32 form, qs8_mul_fp32_form: on Zen 5 AVX2 0.23 ns per element against the AVX2
 * gathers' 0.31). */
static void use_pair_table(mul_state* s) {
  x8_lut2d_fn pair = x8_lut2d_gather_for(qs8_vmul_best_isa());
  if (pair && s->same_shape && edgeq_slow_gathers() && qs8_mul_fp32_form(&s->p)) pair = NULL;
  if (!pair || s->n < PAIR_TABLE_MIN || !(s->pair_table = malloc(X8_LUT2D_TABLE_BYTES))) return;
  int8_t row[256], col[256];
  for (int v = 0; v < 256; ++v) col[v] = (int8_t)v;
  for (int v = 0; v < 256; ++v) {
    memset(row, v, sizeof(row));
    s->fn(256, row, col, s->pair_table + (v << 8), &s->p);
  }
  memset(s->pair_table + 65536, 0, X8_LUT2D_TABLE_BYTES - 65536);
  s->pair = pair;
}

static void mul_run(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state);

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  mul_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_mul_prepare(ctx, node, &s->p); /* mul.cc's Prepare (common/ops/mul.c) */
  s->fn = qs8_vmul_best();
  s->n = eq_numel(out);
  s->same_shape = eq_numel(a) == s->n && eq_numel(b) == s->n;
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out) != 0) {
    free(s);
    return NULL;
  }
  int8_t c;
  s->varying = eq_const_scalar_s8(b, &c) ? 0 : eq_const_scalar_s8(a, &c) ? 1 : -1;
  if (s->varying >= 0 && eq_numel(s->varying ? b : a) == s->n && s->n > 1) {
    int8_t x[256], cs[256];
    for (int v = 0; v < 256; ++v) x[v] = (int8_t)v, cs[v] = c; /* tables are indexed by (uint8)x */
    qs8_vmul_scalar(256, s->varying ? cs : x, s->varying ? x : cs, s->lut, &s->p);
    s->lookup = x8_lut_best();
    return s;
  }
  use_pair_table(s);
  eq_bcast_collapse(&bc); /* longest innermost runs for the vector kernel */
  for (int i = 0; i < QS8_VBINARY_RANK; ++i) {
    s->nd.dims[i] = bc.dims[i];
    s->nd.a_stride[i] = (int32_t)bc.a_stride[i];
    s->nd.b_stride[i] = (int32_t)bc.b_stride[i];
  }
  s->nd.fn = mul_run;
  s->nd.params = s;
  return s;
}

/* qs8-vbinary-nd's kernel signature over the state (its params) */
static void mul_run(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state) {
  const mul_state* s = state;
  if (s->pair)
    s->pair(n, a, b, out, s->pair_table);
  else
    s->fn(n, a, b, out, &s->p);
}

typedef struct {
  const mul_state* s;
  const int8_t *a, *b;
  int8_t* o;
} mul_job;

static void mul_range(const void* arg, size_t i0, size_t i1) {
  const mul_job* j = arg;
  mul_run(i1 - i0, j->a + i0, j->b + i0, j->o + i0, j->s);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const mul_state* s = s_;
  if (s->lookup) {
    eq_parallel_lut(pool, s->n, in[s->varying], out[0], s->lut, s->lookup);
  } else if (s->same_shape) {
    const mul_job j = {s, in[0], in[1], out[0]};
    eq_pool_for_ranges(pool, s->n, (size_t)1 << 13, mul_range, &j);
  } else {
    eq_parallel_vbinary_nd(pool, &s->nd, in[0], in[1], out[0]);
  }
  return kTfLiteOk;
}

/* the state's address is taken for nd.params: it must not move (allocated once in create) */
static void destroy(void* s_) {
  mul_state* s = s_;
  if (s) free(s->pair_table);
  free(s);
}

const eq_op_kind eq_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, create, eval, destroy, NULL};
