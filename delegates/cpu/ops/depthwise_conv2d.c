/* DEPTHWISE_CONV_2D, int8 activations, int8/int4 weights [1][KH][KW][C*M] (per-channel
 * along dim 3 or per-tensor). Depth multiplier 1 (every MobileNet) runs the SIMD kernels of
 * dwconv/ (weights packed here, at prepare time; the indirection pointers of every output row
 * built once and rebuilt only when the input's address changes, as XNNPACK does at setup); other
 * multipliers run a direct loop that reads int4 nibbles in place. Integer sums are exact,
 * so any accumulation order gives the reference's result. */
#include <stdlib.h>
#include <string.h>

#include "qs8-dwconv/qs8-dwconv.h"
#include "cpu_op.h"
#include "base/int4.h"
#include "base/requant.h"
#include "split.h"

typedef struct {
  eq_conv_geometry g; /* common/ops/conv2d.c */
  int mult;           /* depth multiplier */
  int int4;
  const void* weights; /* model's constant buffer: lives as long as the interpreter */
  int32_t* bias;
  int32_t* multiplier;
  int32_t* shift;
  int threads;
  int8_t* owned_weights;   /* a grouped CONV_2D's filter rearranged as [KH][KW][C*M] */
  qs8_dwconv_plan* plan;   /* depth multiplier 1 */
  qs8_dw_geometry geom;
  const int8_t** ind;      /* out_w * kh * kw input pointers per thread slot */
  const int8_t** ind_all;  /* every output row's pointers (NULL when too large: then per row) */
  const int8_t* ind_for;   /* the input address ind_all was built for */
  eq_tiles tiles;          /* output rows x pixels of a row */
  size_t rows_per_call;    /* rows of a narrow map given to the kernel at once (ind_all only; else 1) */
} dw_state;

enum { IND_ALL_MAX = 1 << 20 }; /* pointers (8 MiB) */
enum { DW_CALL_PIXELS = 32 };    /* rows of maps narrower than this go to the kernel together */

static void dw_destroy(void* s_) {
  dw_state* s = s_;
  if (!s) return;
  free(s->bias);
  free(s->multiplier);
  free(s->shift);
  free(s->ind);
  free(s->ind_all);
  free(s->owned_weights);
  qs8_dwconv_plan_destroy(s->plan);
  free(s);
}

/* grouped: a CONV_2D in depthwise form (eq_check_conv2d_depthwise_form) */
static void* create_mode(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast, int grouped) {
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  dw_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  if (grouped) {
    eq_conv2d_prepare(ctx, node, &s->g);
    /* [O][KH][KW][1] -> [1][KH][KW][O] */
    const size_t taps = (size_t)s->g.kh * (size_t)s->g.kw, oc = (size_t)s->g.out_c;
    s->owned_weights = malloc(taps * oc);
    if (!s->owned_weights) {
      dw_destroy(s);
      return NULL;
    }
    const int8_t* src = (const int8_t*)w->data.raw_const;
    for (size_t o = 0; o < oc; ++o)
      for (size_t t = 0; t < taps; ++t) s->owned_weights[t * oc + o] = src[o * taps + t];
    s->weights = s->owned_weights;
  } else {
    eq_depthwise_conv2d_prepare(ctx, node, &s->g);
    s->weights = w->data.raw_const;
  }
  s->mult = s->g.out_c / s->g.in_c;
  s->int4 = w->type == kTfLiteInt4;
  s->bias = calloc((size_t)s->g.out_c, sizeof(int32_t));
  s->multiplier = malloc(sizeof(int32_t) * (size_t)s->g.out_c);
  s->shift = malloc(sizeof(int32_t) * (size_t)s->g.out_c);
  s->threads = threads < 1 ? 1 : threads;
  if (!s->bias || !s->multiplier || !s->shift) {
    dw_destroy(s);
    return NULL;
  }
  if (b) memcpy(s->bias, b->data.raw_const, sizeof(int32_t) * (size_t)s->g.out_c);
  eq_channel_multipliers(in, w, out, s->g.out_c, s->multiplier, s->shift);
  if (s->mult == 1) {
    const qs8_dwconv_desc d = {s->g.out_c, s->g.kh * s->g.kw, s->weights, s->int4 ? 4 : 8, s->bias, s->multiplier,
                               s->shift, s->g.in_zp, s->g.out_zp, s->g.act_min, s->g.act_max};
    const qs8_dw_geometry g = {s->g.in_h, s->g.in_w, s->g.in_c, s->g.out_w, s->g.kh, s->g.kw,
                               s->g.sh, s->g.sw, s->g.dh, s->g.dw, s->g.pad_h, s->g.pad_w};
    s->geom = g;
    s->plan = qs8_dwconv_plan_create_requant(&d, EDGEQ_ISA_AUTO, fast ? QS8_DW_REQUANT_FP32 : QS8_DW_REQUANT_EXACT);
    s->ind = malloc(sizeof(*s->ind) * (size_t)s->g.out_w * (size_t)(s->g.kh * s->g.kw) * (size_t)s->threads);
    if (!s->plan || !s->ind) {
      dw_destroy(s);
      return NULL;
    }
    const size_t all = (size_t)s->g.batches * s->g.out_h * s->g.out_w * (size_t)(s->g.kh * s->g.kw);
    if (all <= IND_ALL_MAX) s->ind_all = malloc(sizeof(*s->ind_all) * all); /* NULL: per row */
  }
  /* rows, and pixel ranges of a row where rows are few (7x7 maps); whole rows where each task
   * builds its row's indirection itself */
  const size_t out_w = (size_t)s->g.out_w;
  const int pixel_split = s->mult == 1 && s->ind_all;
  /* each row of a task is one kernel call over its pixel range (and other rows' input lines):
   * charged as 4 pixels, so tasks take whole rows unless rows are fewer than the threads need;
   * a depthwise multiply-add costs several of a GEMM's, so smaller tasks pay */
  const size_t pixel_work = (size_t)s->g.out_c * (size_t)(s->g.kh * s->g.kw);
  const eq_tiles_desc td = {(size_t)s->g.batches * s->g.out_h, pixel_split ? out_w : 1,
                            pixel_work * (pixel_split ? 1 : out_w), 1, 1, 0, 4.0 * (double)pixel_work, s->threads,
                            (double)(1 << 14)};
  eq_tiles_plan(&s->tiles, &td);
  s->rows_per_call = 1;
  if (pixel_split && out_w < DW_CALL_PIXELS) s->rows_per_call = (DW_CALL_PIXELS + out_w - 1) / out_w;
  return s;
}

typedef struct {
  const dw_state* s;
  const int8_t* in;
  int8_t* out;
} dw_job;

/* one output row (b, oy) */
static void dw_row(const dw_job* j, size_t t) {
  const dw_state* s = j->s;
  const int oy = (int)(t % (size_t)s->g.out_h), b = (int)(t / (size_t)s->g.out_h);
  const int8_t* w8 = (const int8_t*)s->weights;
  const uint8_t* w4 = (const uint8_t*)s->weights;
  const int32_t in_off = -s->g.in_zp;
  for (int ox = 0; ox < s->g.out_w; ++ox) {
    const int iy0 = oy * s->g.sh - s->g.pad_h, ix0 = ox * s->g.sw - s->g.pad_w;
    int8_t* dst = j->out + (((size_t)b * s->g.out_h + oy) * s->g.out_w + ox) * s->g.out_c;
    for (int ic = 0; ic < s->g.in_c; ++ic) {
      for (int m = 0; m < s->mult; ++m) {
        const int oc = m + ic * s->mult;
        int32_t acc = 0;
        for (int ky = 0; ky < s->g.kh; ++ky) {
          const int iy = iy0 + s->g.dh * ky;
          if (iy < 0 || iy >= s->g.in_h) continue;
          for (int kx = 0; kx < s->g.kw; ++kx) {
            const int ix = ix0 + s->g.dw * kx;
            if (ix < 0 || ix >= s->g.in_w) continue;
            const int32_t x = j->in[(((size_t)b * s->g.in_h + iy) * s->g.in_w + ix) * s->g.in_c + ic];
            const size_t wi = ((size_t)ky * s->g.kw + kx) * s->g.out_c + oc;
            const int32_t wv = s->int4 ? eq_int4_at(w4, wi) : w8[wi];
            acc += wv * (x + in_off);
          }
        }
        acc += s->bias[oc];
        acc = eq_mbqm(acc, s->multiplier[oc], s->shift[oc]) + s->g.out_zp;
        dst[oc] = (int8_t)eq_clamp(acc, s->g.act_min, s->g.act_max);
      }
    }
  }
}

/* Depth multiplier 1: pixels [x0, x1) of output row t through the packed SIMD kernel. */
static void dw_row_m1(const dw_job* j, size_t t, size_t x0, size_t x1) {
  const dw_state* s = j->s;
  const int oy = (int)(t % (size_t)s->g.out_h), b = (int)(t / (size_t)s->g.out_h);
  const size_t C = (size_t)s->g.out_c, taps = (size_t)(s->g.kh * s->g.kw), row_ptrs = (size_t)s->g.out_w * taps;
  const int8_t** ind;
  if (s->ind_all) {
    ind = s->ind_all + t * row_ptrs;
  } else { /* one indirection row per pool thread slot: never used by two tasks at once */
    ind = s->ind + (size_t)eq_pool_slot() * row_ptrs;
    const int8_t* image = j->in + (size_t)b * s->g.in_h * s->g.in_w * C;
    qs8_dwconv_indirect_row(&s->geom, image, qs8_dwconv_plan_zero_row(s->plan), oy, ind);
  }
  qs8_dwconv_run(s->plan, x1 - x0, ind + x0 * taps, j->out + (((size_t)b * s->g.out_h + oy) * s->g.out_w + x0) * C, C);
}

/* Depth multiplier 1, with every row's indirection built: rows [t, t + n) in one kernel call (the rows'
 * pointers and outputs lie one after another), so a narrow map's rows share the kernel's per-call setup
 * (each 16-channel tile's weights and requantization constants) */
static void dw_rows_m1(const dw_job* j, size_t t, size_t n) {
  const dw_state* s = j->s;
  const size_t C = (size_t)s->g.out_c, W = (size_t)s->g.out_w, row_ptrs = W * (size_t)(s->g.kh * s->g.kw);
  qs8_dwconv_run(s->plan, n * W, s->ind_all + t * row_ptrs, j->out + t * W * C, C);
}

/* one tile: rows [r0, r1), pixels [x0, x1) of each (all of them unless the plan cuts rows) */
static void dw_task(void* arg, size_t t) {
  const dw_job* j = arg;
  const dw_state* s = j->s;
  size_t r0, r1, x0, x1;
  eq_tile(&s->tiles, t, &r0, &r1, &x0, &x1);
  if (s->tiles.n == 1) x0 = 0, x1 = (size_t)s->g.out_w; /* whole rows */
  for (size_t r = r0; r < r1;) {
    const size_t n = r1 - r < s->rows_per_call ? r1 - r : s->rows_per_call;
    if (s->mult == 1 && n > 1 && x0 == 0 && x1 == (size_t)s->g.out_w) { /* whole rows of ind_all, one call */
      dw_rows_m1(j, r, n);
      r += n;
      continue;
    }
    if (s->mult == 1) dw_row_m1(j, r, x0, x1);
    else dw_row(j, r);
    ++r;
  }
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  dw_state* s = s_;
  dw_job j = {s, (const int8_t*)in[0], (int8_t*)out[0]};
  const size_t rows = (size_t)s->g.batches * s->g.out_h;
  if (s->ind_all && s->ind_for != j.in) { /* first invoke, or the runtime moved the input */
    const size_t C = (size_t)s->g.out_c, row_ptrs = (size_t)s->g.out_w * (size_t)(s->g.kh * s->g.kw);
    for (size_t t = 0; t < rows; ++t) {
      const size_t b = t / (size_t)s->g.out_h;
      qs8_dwconv_indirect_row(&s->geom, j.in + b * s->g.in_h * s->g.in_w * C, qs8_dwconv_plan_zero_row(s->plan),
                              (int)(t % (size_t)s->g.out_h), s->ind_all + t * row_ptrs);
    }
    s->ind_for = j.in;
  }
  eq_pool_parallel_for(pool, eq_tiles_count(&s->tiles), dw_task, &j);
  return kTfLiteOk;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 0, 0);
}
static void* create_fast(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 1, 0);
}

void* eq_cpu_grouped_conv_create(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast) {
  return create_mode(ctx, node, threads, fast, 1);
}
TfLiteStatus eq_cpu_grouped_conv_eval(void* s, const void* const* in, void* const* out, eq_pool* pool) {
  return eval(s, in, out, pool);
}
void eq_cpu_grouped_conv_destroy(void* s) { dw_destroy(s); }

const eq_op_kind eq_op_depthwise_conv2d = {{"DEPTHWISE_CONV_2D", kTfLiteBuiltinDepthwiseConv2d, eq_check_depthwise_conv2d},
                                           create, eval, dw_destroy, create_fast};
