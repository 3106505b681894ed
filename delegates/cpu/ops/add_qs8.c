/* ADD, int8, with broadcasting. Both inputs are rescaled to a common 2x-max scale with
 * 20 bits of headroom, summed, and rescaled to the output (add.cc Prepare + AddFunc).
 * Same-shape inputs (residual connections) go through the SIMD kernels of elementwise/. */
#include <stdlib.h>

#include "qs8-vadd/qs8-vadd.h"

#include "broadcast.h"
#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  eq_bcast bc;
  int32_t in1_off, in2_off, out_off, m1, m2, mo;
  int s1, s2, so, left_shift;
  int32_t act_min, act_max;
  qs8_vadd_fn same_shape; /* NULL: broadcasting (or shifts the kernels do not take) */
  qs8_add_params vp;
  size_t n;
} add_state;


static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteAddParams* p = (const TfLiteAddParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  add_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_bcast_init(&s->bc, a, b, out);
  s->in1_off = -a->params.zero_point;
  s->in2_off = -b->params.zero_point;
  s->out_off = out->params.zero_point;
  s->left_shift = 20;
  /* 2 * max(float, float) is a float product in add.cc, then widened */
  const float max_scale = a->params.scale > b->params.scale ? a->params.scale : b->params.scale;
  const double twice_max = (double)(2 * max_scale);
  const double r1 = (double)a->params.scale / twice_max;
  const double r2 = (double)b->params.scale / twice_max;
  const double ro = twice_max / (double)((float)(1 << s->left_shift) * out->params.scale);
  eq_quantize_multiplier(r1, &s->m1, &s->s1);
  eq_quantize_multiplier(r2, &s->m2, &s->s2);
  eq_quantize_multiplier(ro, &s->mo, &s->so);
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &s->act_min, &s->act_max);
  s->n = eq_numel(out);
  /* right shifts only: SmallerThanOneExp never shifts left, the vector requant would */
  if (eq_numel(a) == s->n && eq_numel(b) == s->n && s->s1 <= 0 && s->s2 <= 0 && s->so <= 0) {
    const qs8_add_params vp = {s->in1_off, s->in2_off, s->m1, s->s1, s->m2, s->s2, s->mo, s->so,
                               s->left_shift, s->out_off, s->act_min, s->act_max};
    s->vp = vp;
    s->same_shape = qs8_vadd_best();
  }
  return s;
}

typedef struct {
  const add_state* s;
  const int8_t *a, *b;
  int8_t* o;
  size_t chunks;
} add_job;

/* chunk t of the same-shape add; boundaries at multiples of 64 elements */
static void add_chunk(void* arg, size_t t) {
  const add_job* j = arg;
  const size_t blocks = (j->s->n + 63) / 64;
  const size_t i0 = blocks * t / j->chunks * 64, i1 = blocks * (t + 1) / j->chunks * 64;
  const size_t end = i1 < j->s->n ? i1 : j->s->n;
  if (i0 < end) j->s->same_shape(end - i0, j->a + i0, j->b + i0, j->o + i0, &j->s->vp);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const add_state* s = s_;
  const int8_t* a = in[0];
  const int8_t* b = in[1];
  int8_t* o = out[0];
  if (s->same_shape) {
    /* residual adds of early layers are ~1e5-1e6 elements: worth splitting across threads */
    add_job j = {s, a, b, o, s->n >= ((size_t)1 << 13) ? 2 * (size_t)eq_pool_threads(pool) : 1};
    eq_pool_parallel_for(j.chunks > 1 ? pool : NULL, j.chunks, add_chunk, &j);
    return kTfLiteOk;
  }
  EQ_BCAST_FOR(&s->bc, oi, ai, bi, {
    const int32_t x = eq_shl32(s->in1_off + a[ai], s->left_shift);
    const int32_t y = eq_shl32(s->in2_off + b[bi], s->left_shift);
    const int32_t sx = eq_mbqm_smaller_than_one(x, s->m1, s->s1);
    const int32_t sy = eq_mbqm_smaller_than_one(y, s->m2, s->s2);
    const int32_t r = eq_mbqm_smaller_than_one(sx + sy, s->mo, s->so) + s->out_off;
    o[oi] = (int8_t)eq_clamp(r, s->act_min, s->act_max);
  });
  return kTfLiteOk;
}

const eq_op_kind eq_op_add = {"ADD", kTfLiteBuiltinAdd, eq_check_add, create, eval, free, NULL};
