/* FULLY_CONNECTED, int8 activations, int8/int4 weights [N][K] (per-tensor or per-channel):
 * one qs8 GEMM (edgeq_gemm when linked) with single-rounding requantization: BUILTIN_REF's
 * int8 FC rounds once (measured 10240/10240 vs 10230/10240 for double rounding), unlike CONV_2D. Threads split batch rows, or output-channel
 * ranges (multiples of the plan's register tile) when there are few rows. */
#include <stdlib.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm.h"
#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  size_t m, n, k;
  qs8_gemm_plan* plan;
} fc_state;


static void fc_destroy(void* s_) {
  fc_state* s = s_;
  if (!s) return;
  qs8_gemm_plan_destroy(s->plan);
  free(s);
}

static void* create_mode(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast) {
  (void)threads;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  fc_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_fc_params fp;
  eq_fully_connected_prepare(ctx, node, &fp);
  s->n = (size_t)fp.n;
  s->k = (size_t)fp.k;
  s->m = (size_t)fp.m;
  int32_t* mult = malloc(sizeof(int32_t) * s->n);
  int32_t* shift = malloc(sizeof(int32_t) * s->n);
  if (mult && shift) {
    eq_channel_multipliers(in, w, out, (int)s->n, mult, shift);
    qs8_gemm_desc d;
    memset(&d, 0, sizeof(d));
    d.n = (int32_t)s->n;
    d.k = (int32_t)s->k;
    d.weights = w->data.raw_const;
    d.weight_bits = w->type == kTfLiteInt4 ? 4 : 8;
    d.bias = b ? b->data.i32 : NULL;
    d.a_zero_point = fp.in_zp;
    d.multiplier = mult;
    d.shift = shift;
    d.c_zero_point = fp.out_zp;
    d.c_min = fp.act_min;
    d.c_max = fp.act_max;
    s->plan = qs8_gemm_plan_create_rounding(&d, EDGEQ_ISA_AUTO, fast ? QS8_REQUANT_FP32 : QS8_ROUNDING_SINGLE);
  }
  free(mult);
  free(shift);
  if (!s->plan) {
    fc_destroy(s);
    return NULL;
  }
  return s;
}

typedef struct {
  const fc_state* s;
  const int8_t* in;
  int8_t* out;
  size_t tasks;
  int by_rows;
} fc_job;

static void fc_task(void* arg, size_t t) {
  const fc_job* j = arg;
  const fc_state* s = j->s;
  if (j->by_rows) {
    const size_t r0 = s->m * t / j->tasks, r1 = s->m * (t + 1) / j->tasks;
    if (r1 > r0) qs8_gemm_run(s->plan, r1 - r0, j->in + r0 * s->k, s->k, j->out + r0 * s->n, s->n, 0, s->n);
  } else {
    const size_t nr = qs8_gemm_plan_nr(s->plan) ? qs8_gemm_plan_nr(s->plan) : 1;
    const size_t blocks = (s->n + nr - 1) / nr;
    const size_t b0 = blocks * t / j->tasks, b1 = blocks * (t + 1) / j->tasks;
    const size_t n0 = b0 * nr, n1 = b1 * nr < s->n ? b1 * nr : s->n;
    if (n1 > n0) qs8_gemm_run(s->plan, s->m, j->in, s->k, j->out, s->n, n0, n1);
  }
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const fc_state* s = s_;
  fc_job j = {s, (const int8_t*)in[0], (int8_t*)out[0], (size_t)eq_pool_threads(pool), 0};
  j.by_rows = s->m >= j.tasks;
  if (s->m * s->n * s->k < 16384) j.tasks = 1; /* not worth waking threads */
  eq_pool_parallel_for(pool, j.tasks, fc_task, &j);
  return kTfLiteOk;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 0);
}
static void* create_fast(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 1);
}

const eq_op_kind eq_op_fully_connected = {{"FULLY_CONNECTED", kTfLiteBuiltinFullyConnected, eq_check_fully_connected},
                                          create, eval, fc_destroy, create_fast};
