/* FULLY_CONNECTED, int8 activations, int8/int4 weights [N][K] (per-tensor or per-channel):
 * one qs8 GEMM (edgeq_gemm when linked) with single-rounding requantization: BUILTIN_REF's
 * int8 FC rounds once (measured 10240/10240 vs 10230/10240 for double rounding), unlike CONV_2D.
 * Threads share a grid of batch rows x output-channel ranges (split.h). */
#include <stdlib.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm.h"
#include "cpu_op.h"
#include "base/requant.h"
#include "split.h"

typedef struct {
  size_t m, n, k;
  int row_sum; /* one row whose sum the plan takes: summed once per invoke, read in place by every task */
  qs8_gemm_plan* plan;
  eq_tiles tiles;
} fc_state;


static void fc_destroy(void* s_) {
  fc_state* s = s_;
  if (!s) return;
  qs8_gemm_plan_destroy(s->plan);
  free(s);
}

static void* create_mode(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast) {
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
    d.m_hint = fp.m;
    s->plan = qs8_gemm_plan_create_rounding(&d, EDGEQ_ISA_AUTO, fast ? QS8_REQUANT_FP32 : QS8_ROUNDING_SINGLE);
  }
  free(mult);
  free(shift);
  if (!s->plan) {
    fc_destroy(s);
    return NULL;
  }
  const size_t nr = qs8_gemm_plan_nr(s->plan) ? qs8_gemm_plan_nr(s->plan) : 1;
  const size_t mq = qs8_gemm_plan_isa(s->plan) == EDGEQ_ISA_AMX ? 16 : 8; /* AMX tiles take 16 rows */
  const eq_tiles_desc td = {s->m, s->n, s->k, mq, eq_gemm_column_quantum(nr), 0, (double)s->k, threads, 0};
  eq_tiles_plan(&s->tiles, &td);
  s->row_sum = s->m == 1 && qs8_gemm_plan_takes_row_sum(s->plan);
  return s;
}

typedef struct {
  const fc_state* s;
  const int8_t* in;
  int8_t* out;
  int32_t in_sum; /* row_sum plans */
} fc_job;

static void fc_task(void* arg, size_t t) {
  const fc_job* j = arg;
  const fc_state* s = j->s;
  size_t m0, m1, n0, n1;
  eq_tile(&s->tiles, t, &m0, &m1, &n0, &n1);
  if (s->row_sum) {
    if (n1 > n0) qs8_gemm_run_gemv(s->plan, j->in, j->in_sum, j->out, n0, n1);
    return;
  }
  if (m1 > m0 && n1 > n0) qs8_gemm_run(s->plan, m1 - m0, j->in + m0 * s->k, s->k, j->out + m0 * s->n, s->n, n0, n1);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const fc_state* s = s_;
  fc_job j = {s, (const int8_t*)in[0], (int8_t*)out[0], 0};
  if (s->row_sum) j.in_sum = qs8_row_sum(j.in, s->k);
  eq_pool_parallel_for(pool, eq_tiles_count(&s->tiles), fc_task, &j);
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
