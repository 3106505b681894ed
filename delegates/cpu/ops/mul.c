/* MUL, int8, with broadcasting: zp_out + MBQM((x - zx) * (y - zy), s_x*s_y/s_out), through the
 * qs8-vmul kernels (SIMD where the CPU has them): same-shape inputs split across threads, broadcast
 * ones walked by qs8-vbinary-nd, which hands the vector kernel whole innermost runs (a squeeze-excite
 * scale [1,1,1,C] against [1,H,W,C] is H*W runs of C). */
#include <stdlib.h>

#include "broadcast.h"
#include "cpu_op.h"
#include "fuse.h"
#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "qs8-vmul/qs8-vmul.h"

typedef struct {
  qs8_mul_params p;
  qs8_vmul_fn fn;
  qs8_vbinary_nd_params nd; /* broadcasting */
  int same_shape;
  size_t n;
} mul_state;

static void mul_run(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* state);

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  mul_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_mul_params mp; /* mul.cc's Prepare (common/ops/mul.c) */
  eq_mul_prepare(ctx, node, &mp);
  s->p = (qs8_mul_params){mp.in1_offset, mp.in2_offset, mp.mult, mp.shift, mp.out_offset, mp.act_min, mp.act_max};
  s->fn = qs8_vmul_best();
  s->n = eq_numel(out);
  s->same_shape = eq_numel(a) == s->n && eq_numel(b) == s->n;
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out) != 0) {
    free(s);
    return NULL;
  }
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
  s->fn(n, a, b, out, &s->p);
}

typedef struct {
  const mul_state* s;
  const int8_t *a, *b;
  int8_t* o;
  size_t chunks;
} mul_job;

/* chunk t of a same-shape MUL; boundaries at multiples of 64 elements */
static void mul_chunk(void* arg, size_t t) {
  const mul_job* j = arg;
  const size_t blocks = (j->s->n + 63) / 64;
  const size_t i0 = blocks * t / j->chunks * 64, i1 = blocks * (t + 1) / j->chunks * 64;
  const size_t end = i1 < j->s->n ? i1 : j->s->n;
  if (i0 < end) j->s->fn(end - i0, j->a + i0, j->b + i0, j->o + i0, &j->s->p);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const mul_state* s = s_;
  if (s->same_shape) {
    mul_job j = {s, in[0], in[1], out[0], s->n >= ((size_t)1 << 13) ? 2 * (size_t)eq_pool_threads(pool) : 1};
    eq_pool_parallel_for(j.chunks > 1 ? pool : NULL, j.chunks, mul_chunk, &j);
  } else {
    qs8_vbinary_nd(&s->nd, in[0], in[1], out[0]);
  }
  return kTfLiteOk;
}

void eq_cpu_mul_apply(const void* state, size_t n, const int8_t* a, const int8_t* b, int8_t* out) {
  qs8_vmul_scalar(n, a, b, out, &((const mul_state*)state)->p);
}

/* the state's address is taken for nd.params: it must not move (allocated once in create) */
const eq_op_kind eq_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, create, eval, free, NULL};
