/* AVERAGE_POOL_2D and MAX_POOL_2D, int8 (input and output share scale and zero point).
 * Average counts only in-bounds taps and rounds half away from zero, as the reference. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "base/requant.h"
#include "s8-maxpool/s8-maxpool-taps.h"

typedef struct {
  eq_pool2d_params g; /* common/ops/pool2d.c */
  int is_max;
  s8_maxpool_taps_fn max_taps; /* SIMD only (x86): windows of up to MAX_TAPS in-bounds taps; NULL: the loop below */
  int zp_pad;    /* a PAD before this MAX_POOL_2D, fused (fuse.h): out-of-bounds taps read zp, not skipped */
  int8_t zp;
} pool_state;

enum { MAX_TAPS = 64 };

static void* create_common(TfLiteContext* ctx, const TfLiteNode* node, int is_max) {
  pool_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_pool2d_prepare(ctx, node, &s->g);
  s->is_max = is_max;
  s->max_taps = s8_maxpool_taps_best();
  if (s->max_taps == s8_maxpool_taps_c1_scalar) s->max_taps = NULL; /* the block loop keeps its local max */
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

enum { CHANNEL_BLOCK = 256 };

/* MAX_POOL_2D of one pixel over its in-bounds taps (at least one), clamped, into dst. */
static void pool_pixel_max(const pool_state* s, const int8_t* base, int iy0, int ix0, int fy0, int fy1, int fx0, int fx1,
                           int taps, int8_t* dst) {
  const size_t channels = (size_t)s->g.c;
  const int32_t lo = s->g.act_min, hi = s->g.act_max;
  if (s->max_taps && taps <= MAX_TAPS) {
    const int8_t* rows[MAX_TAPS];
    int t = 0;
    for (int fy = fy0; fy < fy1; ++fy)
      for (int fx = fx0; fx < fx1; ++fx)
        rows[t++] = base + ((size_t)(iy0 + fy) * s->g.in_w + (size_t)(ix0 + fx)) * channels;
    s->max_taps((size_t)taps, rows, channels, dst, (int8_t)lo, (int8_t)hi);
    return;
  }
  for (size_t c = 0; c < channels; ++c) {
    int32_t m = -128;
    for (int fy = fy0; fy < fy1; ++fy)
      for (int fx = fx0; fx < fx1; ++fx) {
        const int32_t v = base[((size_t)(iy0 + fy) * s->g.in_w + (size_t)(ix0 + fx)) * channels + c];
        m = v > m ? v : m;
      }
    dst[c] = (int8_t)eq_clamp(m, lo, hi);
  }
}

/* One output row: for each pixel, taps outer and channels inner, so each tap is one contiguous
 * run of channels (vectorized) instead of a strided walk per channel. Integer max and sum do not
 * depend on the order. */
static void pool_row(void* arg, size_t t) {
  const pool_job* j = arg;
  const pool_state* s = j->s;
  const int oy = (int)(t % (size_t)s->g.out_h), b = (int)(t / (size_t)s->g.out_h);
  const int iy0 = oy * s->g.sh - s->g.pad_h;
  const int fy0 = iy0 < 0 ? -iy0 : 0;
  const int fy1 = s->g.fh < s->g.in_h - iy0 ? s->g.fh : s->g.in_h - iy0;
  const size_t channels = (size_t)s->g.c;
  const int32_t lo = s->g.act_min, hi = s->g.act_max;
  /* the previous pixel's taps where it was a whole-width window: the next whole-width one reads them sw
   * pixels on (one add per tap, not a row and column product each) */
  const int8_t* rows[MAX_TAPS];
  int rows_ox = -2;
  const size_t step = (size_t)s->g.sw * channels;
  for (int ox = 0; ox < s->g.out_w; ++ox) {
    const int ix0 = ox * s->g.sw - s->g.pad_w;
    const int fx0 = ix0 < 0 ? -ix0 : 0;
    const int fx1 = s->g.fw < s->g.in_w - ix0 ? s->g.fw : s->g.in_w - ix0;
    int8_t* dst = j->out + (((size_t)b * s->g.out_h + oy) * s->g.out_w + ox) * channels;
    const int8_t* base = j->in + ((size_t)b * s->g.in_h * s->g.in_w) * channels;
    const int taps = (fy1 > fy0 ? fy1 - fy0 : 0) * (fx1 > fx0 ? fx1 - fx0 : 0);
    if (s->zp_pad && taps < s->g.fh * s->g.fw) { /* a window over the fused PAD's border: zp is one of its taps */
      const int8_t z = (int8_t)eq_clamp(s->zp, lo, hi); /* max and the clamp commute (both monotone) */
      if (taps == 0) {
        memset(dst, z, channels);
        continue;
      }
      pool_pixel_max(s, base, iy0, ix0, fy0, fy1, fx0, fx1, taps, dst);
      for (size_t c = 0; c < channels; ++c) dst[c] = dst[c] > z ? dst[c] : z;
      continue;
    }
    if (s->is_max && s->max_taps && taps >= 1 && taps <= MAX_TAPS) { /* one micro-kernel call per pixel over its taps */
      const int whole = fx0 == 0 && fx1 == s->g.fw;
      if (whole && rows_ox == ox - 1) {
        for (int i = 0; i < taps; ++i) rows[i] += step;
      } else {
        int i = 0;
        for (int fy = fy0; fy < fy1; ++fy)
          for (int fx = fx0; fx < fx1; ++fx)
            rows[i++] = base + ((size_t)(iy0 + fy) * s->g.in_w + (size_t)(ix0 + fx)) * channels;
      }
      rows_ox = whole ? ox : -2;
      s->max_taps((size_t)taps, rows, channels, dst, (int8_t)lo, (int8_t)hi);
      continue;
    }
    for (size_t c0 = 0; c0 < channels; c0 += CHANNEL_BLOCK) {
      const size_t cn = channels - c0 < CHANNEL_BLOCK ? channels - c0 : CHANNEL_BLOCK;
      if (s->is_max) {
        int8_t m[CHANNEL_BLOCK];
        for (size_t c = 0; c < cn; ++c) m[c] = -128;
        for (int fy = fy0; fy < fy1; ++fy)
          for (int fx = fx0; fx < fx1; ++fx) {
            const int8_t* src = base + ((size_t)(iy0 + fy) * s->g.in_w + (size_t)(ix0 + fx)) * channels + c0;
            for (size_t c = 0; c < cn; ++c) m[c] = src[c] > m[c] ? src[c] : m[c];
          }
        for (size_t c = 0; c < cn; ++c) dst[c0 + c] = (int8_t)eq_clamp(m[c], lo, hi);
      } else {
        int32_t acc[CHANNEL_BLOCK];
        for (size_t c = 0; c < cn; ++c) acc[c] = 0;
        for (int fy = fy0; fy < fy1; ++fy)
          for (int fx = fx0; fx < fx1; ++fx) {
            const int8_t* src = base + ((size_t)(iy0 + fy) * s->g.in_w + (size_t)(ix0 + fx)) * channels + c0;
            for (size_t c = 0; c < cn; ++c) acc[c] += src[c];
          }
        int32_t count = (fy1 > fy0 ? fy1 - fy0 : 0) * (fx1 > fx0 ? fx1 - fx0 : 0);
        if (count == 0) count = 1; /* cannot happen with valid padding */
        for (size_t c = 0; c < cn; ++c) {
          const int32_t v = acc[c] > 0 ? (acc[c] + count / 2) / count : (acc[c] - count / 2) / count;
          dst[c0 + c] = (int8_t)eq_clamp(v, lo, hi);
        }
      }
    }
  }
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const pool_state* s = s_;
  pool_job j = {s, (const int8_t*)in[0], (int8_t*)out[0]};
  const size_t rows = (size_t)s->g.batches * s->g.out_h;
  /* waking the workers costs tens of microseconds on a loaded machine: small pools run alone */
  const int small = rows * (size_t)s->g.out_w * (size_t)s->g.c * (size_t)(s->g.fh * s->g.fw) < ((size_t)1 << 17);
  eq_pool_parallel_for(small ? NULL : pool, rows, pool_row, &j);
  return kTfLiteOk;
}

/* PAD (constant paddings of H and W only) whose output only this MAX_POOL_2D reads, the pool's windows
 * inside the padded tensor (no padding of its own): one MAX_POOL_2D over PAD's input where a window's taps
 * beyond it are PAD's fill, the zero point (pad.cc: the output's; PAD keeps scale and zero point). NULL where
 * the pair does not have that form (or no memory): the two then run apart. */
void* eq_fused_pad_maxpool_create(TfLiteContext* ctx, const TfLiteNode* pad, const TfLiteNode* pool) {
  const TfLiteTensor *x = eq_in(ctx, pad, 0), *pads = eq_in(ctx, pad, 1), *padded = eq_out(ctx, pad, 0);
  if (eq_rank(x) != 4 || eq_rank(padded) != 4 || x->type != kTfLiteInt8) return NULL;
  if (eq_pad_amount(pads, 0) != 0 || eq_pad_amount(pads, 1) != 0 || eq_pad_amount(pads, 6) != 0 ||
      eq_pad_amount(pads, 7) != 0)
    return NULL; /* batch or channels padded */
  pool_state* s = create_common(ctx, pool, 1);
  if (!s) return NULL;
  if (s->g.pad_h != 0 || s->g.pad_w != 0 || s->g.in_h != eq_dim(padded, 1) || s->g.in_w != eq_dim(padded, 2)) {
    free(s);
    return NULL;
  }
  s->g.pad_h = (int)eq_pad_amount(pads, 2);
  s->g.pad_w = (int)eq_pad_amount(pads, 4);
  s->g.in_h = eq_dim(x, 1);
  s->g.in_w = eq_dim(x, 2);
  s->zp_pad = 1;
  s->zp = (int8_t)padded->params.zero_point;
  return s;
}

const eq_op_kind eq_op_fused_pad_maxpool = {{"PAD+MAX_POOL_2D", kTfLiteBuiltinMaxPool2d, NULL}, NULL, eval, free, NULL};

const eq_op_kind eq_op_average_pool2d = {{"AVERAGE_POOL_2D", kTfLiteBuiltinAveragePool2d, eq_check_pool2d},
                                         create_avg, eval, free, NULL};
const eq_op_kind eq_op_max_pool2d = {{"MAX_POOL_2D", kTfLiteBuiltinMaxPool2d, eq_check_pool2d},
                                     create_max, eval, free, NULL};
