/* CONV_2D, int8 activations, int8/int4 per-channel or per-tensor weights:
 * im2col (patch order kh, kw, cin = TFLite's [O][H][W][I] filter layout) + qs8 GEMM.
 * Padding taps are filled with the input zero point, so they contribute 0, exactly like
 * the reference kernel that skips them. 1x1 stride-1 unpadded convs skip im2col.
 * The GEMM requantizes with double rounding, as BUILTIN_REF's conv kernel does.
 */
#include <stdlib.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm.h"
#include "cpu_op.h"
#include "base/requant.h"

enum { ROWS_PER_TASK = 64 };
#define SERIAL_MACS ((size_t)1 << 18) /* below this many multiply-adds one thread is faster */

typedef struct {
  eq_conv_geometry g; /* common/ops/conv2d.c */
  int direct;
  size_t k;
  qs8_gemm_plan* plan;
  int8_t* scratch; /* ROWS_PER_TASK x k per thread */
  int threads;
} conv_state;

static void conv_destroy(void* s_) {
  conv_state* s = s_;
  if (!s) return;
  qs8_gemm_plan_destroy(s->plan);
  free(s->scratch);
  free(s);
}

static void* create_mode(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast) {
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  conv_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_conv2d_prepare(ctx, node, &s->g);
  s->k = (size_t)s->g.kh * s->g.kw * s->g.in_c;
  s->direct = s->g.kh == 1 && s->g.kw == 1 && s->g.sh == 1 && s->g.sw == 1 && s->g.pad_h == 0 && s->g.pad_w == 0 &&
              s->g.out_h == s->g.in_h && s->g.out_w == s->g.in_w;
  s->threads = threads < 1 ? 1 : threads;

  int32_t* mult = malloc(sizeof(int32_t) * (size_t)s->g.out_c);
  int32_t* shift = malloc(sizeof(int32_t) * (size_t)s->g.out_c);
  if (!mult || !shift) goto fail;
  eq_channel_multipliers(in, w, out, s->g.out_c, mult, shift);
  qs8_gemm_desc d;
  memset(&d, 0, sizeof(d));
  d.n = s->g.out_c;
  d.k = (int32_t)s->k;
  d.weights = w->data.raw_const;
  d.weight_bits = w->type == kTfLiteInt4 ? 4 : 8;
  d.bias = b ? b->data.i32 : NULL;
  d.a_zero_point = s->g.in_zp;
  d.multiplier = mult;
  d.shift = shift;
  d.c_zero_point = out->params.zero_point;
  d.c_min = s->g.act_min;
  d.c_max = s->g.act_max;
  s->plan = qs8_gemm_plan_create_rounding(&d, EDGEQ_ISA_AUTO, fast ? QS8_REQUANT_FP32 : QS8_ROUNDING_DOUBLE);
  free(mult);
  free(shift);
  mult = shift = NULL;
  if (!s->plan) goto fail;
  if (!s->direct) {
    s->scratch = malloc((size_t)s->threads * ROWS_PER_TASK * s->k);
    if (!s->scratch) goto fail;
  }
  return s;
fail:
  free(mult);
  free(shift);
  conv_destroy(s);
  return NULL;
}

typedef struct {
  conv_state* s;
  const int8_t* in;
  int8_t* out;
  size_t rows;
  size_t n_chunks; /* output-channel chunks per row block (1 unless rows are few) */
} conv_job;

/* Row r of the conv's implicit GEMM = output pixel (b, oy, ox). */
static void im2col_row(const conv_state* s, const int8_t* in, size_t r, int8_t* dst) {
  const int ox = (int)(r % (size_t)s->g.out_w);
  const int oy = (int)((r / (size_t)s->g.out_w) % (size_t)s->g.out_h);
  const int b = (int)(r / ((size_t)s->g.out_w * s->g.out_h));
  const int iy0 = oy * s->g.sh - s->g.pad_h, ix0 = ox * s->g.sw - s->g.pad_w;
  const size_t c = (size_t)s->g.in_c;
  const int row_inside = s->g.dw == 1 && ix0 >= 0 && ix0 + s->g.kw <= s->g.in_w;
  for (int ky = 0; ky < s->g.kh; ++ky) {
    const int iy = iy0 + ky * s->g.dh;
    if (row_inside && iy >= 0 && iy < s->g.in_h) {
      /* the kw taps of this filter row are adjacent pixels: one copy (first convs have c = 3) */
      memcpy(dst, in + (((size_t)b * s->g.in_h + iy) * s->g.in_w + ix0) * c, (size_t)s->g.kw * c);
      dst += (size_t)s->g.kw * c;
      continue;
    }
    for (int kx = 0; kx < s->g.kw; ++kx) {
      const int ix = ix0 + kx * s->g.dw;
      if (iy < 0 || iy >= s->g.in_h || ix < 0 || ix >= s->g.in_w) {
        memset(dst, (int8_t)s->g.in_zp, c);
      } else {
        memcpy(dst, in + (((size_t)b * s->g.in_h + iy) * s->g.in_w + ix) * c, c);
      }
      dst += c;
    }
  }
}

static void conv_task(void* arg, size_t t) {
  conv_job* j = arg;
  conv_state* s = j->s;
  const size_t r0 = (t / j->n_chunks) * ROWS_PER_TASK;
  size_t rows = j->rows - r0 < ROWS_PER_TASK ? j->rows - r0 : ROWS_PER_TASK;
  const size_t n = (size_t)s->g.out_c;
  if (s->direct) {
    /* channel chunk t % n_chunks, in whole register tiles of the plan */
    const size_t nr = qs8_gemm_plan_nr(s->plan) ? qs8_gemm_plan_nr(s->plan) : 1;
    const size_t blocks = (n + nr - 1) / nr, c = t % j->n_chunks;
    const size_t n0 = blocks * c / j->n_chunks * nr, n1 = blocks * (c + 1) / j->n_chunks * nr;
    if (n0 < n) qs8_gemm_run(s->plan, rows, j->in + r0 * s->k, s->k, j->out + r0 * n, n, n0, n1 < n ? n1 : n);
    return;
  }
  /* one scratch block per pool thread slot: never used by two tasks at once */
  int8_t* buf = s->scratch + (size_t)eq_pool_slot() * ROWS_PER_TASK * s->k;
  for (size_t i = 0; i < rows; ++i) im2col_row(s, j->in, r0 + i, buf + i * s->k);
  qs8_gemm_run(s->plan, rows, buf, s->k, j->out + r0 * n, n, 0, n);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  conv_state* s = s_;
  conv_job j = {s, (const int8_t*)in[0], (int8_t*)out[0], (size_t)s->g.batches * s->g.out_h * s->g.out_w, 1};
  const size_t row_tasks = (j.rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
  /* waking the workers costs microseconds: small convs run alone */
  const int small = j.rows * s->k * (size_t)s->g.out_c < SERIAL_MACS;
  const size_t want = 2 * (size_t)eq_pool_threads(pool); /* a few tasks per thread balance better */
  if (!small && s->direct && row_tasks < want) {
    /* few rows (late, small-spatial layers): split output channels too */
    const size_t nr = qs8_gemm_plan_nr(s->plan) ? qs8_gemm_plan_nr(s->plan) : 1;
    const size_t blocks = ((size_t)s->g.out_c + nr - 1) / nr;
    j.n_chunks = (want + row_tasks - 1) / row_tasks;
    if (j.n_chunks > blocks) j.n_chunks = blocks;
  }
  eq_pool_parallel_for(small ? NULL : pool, row_tasks * j.n_chunks, conv_task, &j);
  return kTfLiteOk;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 0);
}
static void* create_fast(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 1);
}

const eq_op_kind eq_op_conv2d = {{"CONV_2D", kTfLiteBuiltinConv2d, eq_check_conv2d},
                                 create, eval, conv_destroy, create_fast};
