/* AVERAGE_POOL_2D and MAX_POOL_2D, int8 (input and output share scale and zero point).
 * Average counts only in-bounds taps and rounds half away from zero, as the reference. */
#include <stdlib.h>

#include "cpu_op.h"
#include "base/requant.h"

typedef struct {
  int batches, in_h, in_w, c, out_h, out_w, fh, fw, sh, sw, pad_h, pad_w;
  int32_t act_min, act_max;
  int is_max;
} pool_state;

static void* create_common(TfLiteContext* ctx, const TfLiteNode* node, int is_max) {
  const TfLitePoolParams* p = (const TfLitePoolParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  pool_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->batches = eq_dim(in, 0); s->in_h = eq_dim(in, 1); s->in_w = eq_dim(in, 2); s->c = eq_dim(in, 3);
  s->out_h = eq_dim(out, 1); s->out_w = eq_dim(out, 2);
  s->fh = p->filter_height; s->fw = p->filter_width; s->sh = p->stride_height; s->sw = p->stride_width;
  s->pad_h = eq_pad_before(s->sh, 1, s->in_h, s->fh, s->out_h);
  s->pad_w = eq_pad_before(s->sw, 1, s->in_w, s->fw, s->out_w);
  s->is_max = is_max;
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &s->act_min, &s->act_max);
  return s;
}
static void* create_avg(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  return create_common(ctx, node, 0);
}
static void* create_max(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  return create_common(ctx, node, 1);
}

typedef struct {
  const pool_state* s;
  const int8_t* in;
  int8_t* out;
} pool_job;

static void pool_row(void* arg, size_t t) {
  const pool_job* j = arg;
  const pool_state* s = j->s;
  const int oy = (int)(t % (size_t)s->out_h), b = (int)(t / (size_t)s->out_h);
  const int iy0 = oy * s->sh - s->pad_h;
  const int fy0 = iy0 < 0 ? -iy0 : 0;
  const int fy1 = s->fh < s->in_h - iy0 ? s->fh : s->in_h - iy0;
  for (int ox = 0; ox < s->out_w; ++ox) {
    const int ix0 = ox * s->sw - s->pad_w;
    const int fx0 = ix0 < 0 ? -ix0 : 0;
    const int fx1 = s->fw < s->in_w - ix0 ? s->fw : s->in_w - ix0;
    int8_t* dst = j->out + (((size_t)b * s->out_h + oy) * s->out_w + ox) * s->c;
    for (int c = 0; c < s->c; ++c) {
      int32_t acc = s->is_max ? -128 : 0;
      int32_t count = 0;
      for (int fy = fy0; fy < fy1; ++fy) {
        for (int fx = fx0; fx < fx1; ++fx) {
          const int32_t v = j->in[(((size_t)b * s->in_h + iy0 + fy) * s->in_w + ix0 + fx) * s->c + c];
          if (s->is_max) acc = v > acc ? v : acc;
          else acc += v;
          ++count;
        }
      }
      if (!s->is_max) {
        if (count == 0) count = 1; /* cannot happen with valid padding */
        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      }
      dst[c] = (int8_t)eq_clamp(acc, s->act_min, s->act_max);
    }
  }
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const pool_state* s = s_;
  pool_job j = {s, (const int8_t*)in[0], (int8_t*)out[0]};
  const size_t rows = (size_t)s->batches * s->out_h;
  /* waking the workers costs tens of microseconds on a loaded machine: small pools run alone */
  const int small = rows * (size_t)s->out_w * (size_t)s->c * (size_t)(s->fh * s->fw) < ((size_t)1 << 17);
  eq_pool_parallel_for(small ? NULL : pool, rows, pool_row, &j);
  return kTfLiteOk;
}

const eq_op_kind eq_op_average_pool2d = {"AVERAGE_POOL_2D", kTfLiteBuiltinAveragePool2d, eq_check_pool2d,
                                 create_avg, eval, free, NULL};
const eq_op_kind eq_op_max_pool2d = {"MAX_POOL_2D", kTfLiteBuiltinMaxPool2d, eq_check_pool2d,
                                 create_max, eval, free, NULL};
