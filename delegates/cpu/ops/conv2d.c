/* CONV_2D, int8 activations, int8/int4 per-channel or per-tensor weights:
 * im2col (patch order kh, kw, cin = TFLite's [O][H][W][I] filter layout) + qs8 GEMM.
 * Padding taps are filled with the input zero point, so they contribute 0, exactly like
 * the reference kernel that skips them. 1x1 stride-1 unpadded convs skip im2col.
 * The GEMM requantizes with double rounding, as BUILTIN_REF's conv kernel does. A grouped conv
 * with one input channel per group is a depthwise conv: it runs depthwise_conv2d.c's kernels.
 */
#include <stdlib.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm.h"
#include "cpu_op.h"
#include "base/copy.h"
#include "base/requant.h"
#include "split.h"

enum { ROWS_PER_TASK = 64 };
/* Padded inputs up to this size: the whole input copied once per invoke into a buffer whose border
 * holds the input zero point, so every output pixel's taps are inside (small images are mostly edge
 * pixels: 28 of the demo's 64 per 8x8 conv, each tap of which took a fill or a copy of its own). */
enum { PADDED_COPY_MAX = 16384 };

/* depthwise_conv2d.c: a grouped CONV_2D in depthwise form */
void* eq_cpu_grouped_conv_create(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast);
TfLiteStatus eq_cpu_grouped_conv_eval(void* s, const void* const* in, void* const* out, eq_pool* pool);
void eq_cpu_grouped_conv_destroy(void* s);

typedef struct {
  void* grouped;      /* depthwise state of a grouped conv; everything below unused then */
  eq_conv_geometry g; /* common/ops/conv2d.c */
  int direct;
  size_t k;
  size_t row_bytes; /* im2col row stride: k padded to what the GEMM reads in place (zeros after k) */
  size_t in_bytes;  /* input tensor size: 16-byte moves of short filter rows stay inside it */
  int ox_lo, ox_hi; /* output columns whose taps are all inside horizontally (dilation 1 only) */
  int8_t* padded;   /* non-NULL: the input with its padding (border of in_zp), rows of pw pixels */
  int ph, pw;
  int packed;       /* padded path with rows in the GEMM kernel's own format: bytes XORed with flip */
  uint8_t flip;
  qs8_gemm_plan* plan;
  int8_t* scratch; /* ROWS_PER_TASK x row_bytes per thread (+ 16), slot_bytes apart */
  size_t slot_bytes;
  int threads;
  eq_tiles tiles; /* output pixels x channels, planned for `threads` */
} conv_state;

static void conv_destroy(void* s_) {
  conv_state* s = s_;
  if (!s) return;
  eq_cpu_grouped_conv_destroy(s->grouped);
  qs8_gemm_plan_destroy(s->plan);
  free(s->scratch);
  free(s->padded);
  free(s);
}

static void* create_mode(TfLiteContext* ctx, const TfLiteNode* node, int threads, int fast) {
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  conv_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  if (eq_dim(w, 3) != eq_dim(in, 3)) {
    s->grouped = eq_cpu_grouped_conv_create(ctx, node, threads, fast);
    if (!s->grouped) {
      free(s);
      return NULL;
    }
    return s;
  }
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
  /* at most ROWS_PER_TASK rows per task: the im2col scratch, and a fine enough grain for a
   * thread that starts late; im2col is repeated by each channel tile of a row band */
  const size_t nr = qs8_gemm_plan_nr(s->plan) ? qs8_gemm_plan_nr(s->plan) : 1;
  const size_t mq = qs8_gemm_plan_isa(s->plan) == EDGEQ_ISA_AMX ? 16 : 8; /* AMX tiles take 16 rows */
  const eq_tiles_desc td = {(size_t)s->g.batches * s->g.out_h * s->g.out_w, (size_t)s->g.out_c, s->k, mq,
                            eq_gemm_column_quantum(nr),
                            ROWS_PER_TASK, (double)s->k * (s->direct ? 1 : 4), s->threads, 0};
  eq_tiles_plan(&s->tiles, &td);
  if (!s->direct) {
    /* calloc: the bytes after k of each row stay 0 (they meet zero weights) */
    s->row_bytes = qs8_gemm_plan_row_bytes(s->plan);
    s->in_bytes = (size_t)s->g.batches * s->g.in_h * s->g.in_w * s->g.in_c;
    /* ox * sw - pad_w >= 0 and ox * sw - pad_w + kw - 1 < in_w */
    const int last = s->g.in_w - s->g.kw + s->g.pad_w;
    s->ox_lo = (s->g.pad_w + s->g.sw - 1) / s->g.sw;
    s->ox_hi = s->g.dw != 1 || last < 0 ? 0 : last / s->g.sw + 1;
    if (s->ox_hi > s->g.out_w) s->ox_hi = s->g.out_w;
    if (s->ox_lo > s->ox_hi) s->ox_lo = s->ox_hi;
    /* a padded copy, where padding exists and its copy is small (dilation 1: taps of a filter row adjacent) */
    const int ph = (s->g.out_h - 1) * s->g.sh + (s->g.kh - 1) * s->g.dh + 1;
    const int pw = (s->g.out_w - 1) * s->g.sw + s->g.kw;
    const size_t pbytes = (size_t)s->g.batches * (size_t)ph * (size_t)pw * (size_t)s->g.in_c;
    if (s->g.dw == 1 && (s->g.pad_h > 0 || s->g.pad_w > 0) && ph >= s->g.pad_h + s->g.in_h &&
        pw >= s->g.pad_w + s->g.in_w && pbytes <= PADDED_COPY_MAX) {
      s->padded = malloc(pbytes + 16); /* + 16: a short filter row's 16-byte move past the last one */
      if (!s->padded) goto fail;
      /* rows the kernel reads as they are (VNNI: bytes ^ 0x80): the copy holds the flipped input */
      const size_t kernel_rowb = qs8_gemm_plan_packed_row_bytes(s->plan, &s->flip);
      if (kernel_rowb) s->packed = 1, s->row_bytes = kernel_rowb;
      memset(s->padded, (int8_t)((uint8_t)s->g.in_zp ^ s->flip), pbytes + 16); /* border never written again */
      s->ph = ph, s->pw = pw;
    }
    /* + 16 per slot: a short filter row's 16-byte move past the slot's last row */
    s->slot_bytes = ROWS_PER_TASK * s->row_bytes + 16;
    s->scratch = calloc((size_t)s->threads, s->slot_bytes);
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
} conv_job;

/* Small fills inline, as the copies (base/copy.h). */
static inline void fill_bytes(int8_t* d, int8_t v, size_t n) {
  if (n > 32) {
    memset(d, v, n);
    return;
  }
  if (n >= 16) {
    int8_t pattern[16];
    memset(pattern, v, sizeof(pattern));
    memcpy(d, pattern, 16), memcpy(d + n - 16, pattern, 16);
    return;
  }
  int8_t pattern[16];
  memset(pattern, v, sizeof(pattern)); /* constant size: stores, no call */
  eq_copy_bytes(d, pattern, n);
}

/* `rows` im2col rows of consecutive output pixels whose taps are all inside (source step sx
 * bytes): kh filter rows of `run` bytes each. Runs of <= 16 bytes (first convs, c = 3) move 16
 * bytes when `wide`: the bytes past a run are overwritten by the next one, or land in the row's
 * padding (or the next row, written later). */
static void im2col_inside(int8_t* dst, size_t rowb, const int8_t* src, size_t sx, size_t rows, int kh,
                          size_t step_y, size_t run, int wide) {
  for (size_t i = 0; i < rows; ++i, dst += rowb, src += sx) {
    const int8_t* sp = src;
    int8_t* d = dst;
    if (wide) {
      for (int ky = 0; ky < kh; ++ky, sp += step_y, d += run) {
        uint64_t v[2];
        memcpy(v, sp, 16);
        memcpy(d, v, 16);
      }
    } else {
      for (int ky = 0; ky < kh; ++ky, sp += step_y, d += run) eq_copy_bytes(d, sp, run);
    }
  }
}

/* The implicit GEMM's row of output pixel (b, oy, ox); out of line: edge rows are few, and inlined
 * it made the inside rows' loop spill. */
static __attribute__((noinline)) void im2col_row(const conv_state* s, const int8_t* in, int b, int oy, int ox,
                                                int8_t* dst) {
  const int iy0 = oy * s->g.sh - s->g.pad_h, ix0 = ox * s->g.sw - s->g.pad_w;
  const size_t c = (size_t)s->g.in_c;
  const int row_inside = s->g.dw == 1 && ix0 >= 0 && ix0 + s->g.kw <= s->g.in_w;
  for (int ky = 0; ky < s->g.kh; ++ky) {
    const int iy = iy0 + ky * s->g.dh;
    if (row_inside && iy >= 0 && iy < s->g.in_h) {
      /* the kw taps of this filter row are adjacent pixels: one copy (first convs have c = 3) */
      eq_copy_bytes(dst, in + (((size_t)b * s->g.in_h + iy) * s->g.in_w + ix0) * c, (size_t)s->g.kw * c);
      dst += (size_t)s->g.kw * c;
      continue;
    }
    for (int kx = 0; kx < s->g.kw; ++kx) {
      const int ix = ix0 + kx * s->g.dw;
      if (iy < 0 || iy >= s->g.in_h || ix < 0 || ix >= s->g.in_w) {
        fill_bytes(dst, (int8_t)s->g.in_zp, c);
      } else {
        eq_copy_bytes(dst, in + (((size_t)b * s->g.in_h + iy) * s->g.in_w + ix) * c, c);
      }
      dst += c;
    }
  }
}

/* one tile of the implicit GEMM: output pixels [m0, m1) x channels [n0, n1) */
static void conv_task(void* arg, size_t t) {
  conv_job* j = arg;
  conv_state* s = j->s;
  size_t m0, m1, n0, n1;
  eq_tile(&s->tiles, t, &m0, &m1, &n0, &n1);
  const size_t n = (size_t)s->g.out_c;
  if (m1 <= m0 || n1 <= n0) return;
  if (s->direct) {
    qs8_gemm_run(s->plan, m1 - m0, j->in + m0 * s->k, s->k, j->out + m0 * n, n, n0, n1);
    return;
  }
  /* one scratch block per pool thread slot: never used by two tasks at once. The geometry in
   * locals: the byte stores below may alias the state, which would reload it per row */
  const eq_conv_geometry g = s->g;
  const size_t rowb = s->row_bytes, c = (size_t)g.in_c, run = (size_t)g.kw * c;
  const size_t step_y = (size_t)g.dh * g.in_w * c;
  const int ylast = (g.kh - 1) * g.dh;
  int8_t* const buf = s->scratch + (size_t)eq_pool_slot() * s->slot_bytes;
  const int8_t* const in = j->in;
  if (s->padded) { /* every tap inside the padded copy: each output row's pixels in one call */
    const size_t pw = (size_t)s->pw, sx = (size_t)g.sw * c, pstep_y = (size_t)g.dh * pw * c;
    const int wide = run <= 16;
    size_t ox = m0 % (size_t)g.out_w, rest = m0 / (size_t)g.out_w;
    int8_t* dst = buf;
    for (size_t i = m0; i < m1;) {
      size_t rows = (size_t)g.out_w - ox;
      if (rows > m1 - i) rows = m1 - i;
      const size_t oy = rest % (size_t)g.out_h, b = rest / (size_t)g.out_h;
      const int8_t* src = s->padded + ((b * (size_t)s->ph + oy * (size_t)g.sh) * pw + ox * (size_t)g.sw) * c;
      im2col_inside(dst, rowb, src, sx, rows, g.kh, pstep_y, run, wide);
      i += rows, dst += rows * rowb, ox = 0, ++rest;
    }
    if (s->packed)
      qs8_gemm_run_packed(s->plan, m1 - m0, buf, j->out + m0 * n, n, n0, n1);
    else
      qs8_gemm_run_padded(s->plan, m1 - m0, buf, rowb, j->out + m0 * n, n, n0, n1);
    return;
  }
  /* row m0's pixel by division once, then stepped (a division per row costs as much as its copies) */
  int ox = (int)(m0 % (size_t)g.out_w), oy = (int)((m0 / (size_t)g.out_w) % (size_t)g.out_h);
  int b = (int)(m0 / ((size_t)g.out_w * g.out_h));
  int8_t* dst = buf;
  for (size_t i = m0; i < m1;) {
    const int iy0 = oy * g.sh - g.pad_h, ix0 = ox * g.sw - g.pad_w;
    if (ox >= s->ox_lo && ox < s->ox_hi && iy0 >= 0 && iy0 + ylast < g.in_h) {
      /* the rest of this output row's inside pixels in one call */
      size_t rows = (size_t)(s->ox_hi - ox);
      if (rows > m1 - i) rows = m1 - i;
      const size_t sx = (size_t)g.sw * c;
      const size_t off = (((size_t)b * g.in_h + iy0) * g.in_w + ix0) * c;
      const int wide = run <= 16 && off + (rows - 1) * sx + (size_t)ylast * g.in_w * c + 16 <= s->in_bytes;
      im2col_inside(dst, rowb, in + off, sx, rows, g.kh, step_y, run, wide);
      i += rows, dst += rows * rowb, ox += (int)rows;
    } else {
      im2col_row(s, in, b, oy, ox, dst);
      ++i, dst += rowb, ++ox;
    }
    if (ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) oy = 0, ++b;
    }
  }
  /* rows read in place: their bytes after k (zeros, or bytes of 16-byte moves) meet zero weights */
  qs8_gemm_run_padded(s->plan, m1 - m0, buf, rowb, j->out + m0 * n, n, n0, n1);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  conv_state* s = s_;
  if (s->grouped) return eq_cpu_grouped_conv_eval(s->grouped, in, out, pool);
  conv_job j = {s, (const int8_t*)in[0], (int8_t*)out[0]};
  if (s->padded) { /* the input into the padded copy's inside (small: one thread) */
    const eq_conv_geometry* g = &s->g;
    const size_t c = (size_t)g->in_c, row = (size_t)g->in_w * c;
    const int8_t* src = j.in;
    const uint8_t flip = s->flip;
    for (int b = 0; b < g->batches; ++b)
      for (int y = 0; y < g->in_h; ++y, src += row) {
        int8_t* dst = s->padded + (((size_t)b * s->ph + (size_t)(y + g->pad_h)) * s->pw + (size_t)g->pad_w) * c;
        if (flip)
          for (size_t i = 0; i < row; ++i) dst[i] = (int8_t)((uint8_t)src[i] ^ flip); /* vectorized */
        else
          memcpy(dst, src, row);
      }
  }
  eq_pool_parallel_for(pool, eq_tiles_count(&s->tiles), conv_task, &j);
  return kTfLiteOk;
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 0);
}
static void* create_fast(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  return create_mode(ctx, node, threads, 1);
}

/* the shared check, plus the depthwise form of a grouped conv (the GPU delegate declines those) */
static const char* check(TfLiteContext* ctx, const TfLiteNode* node) {
  const char* why = eq_check_conv2d(ctx, node);
  if (why && eq_in(ctx, node, 0) && eq_in(ctx, node, 1) && eq_rank(eq_in(ctx, node, 1)) == 4 &&
      eq_rank(eq_in(ctx, node, 0)) == 4 && eq_dim(eq_in(ctx, node, 1), 3) != eq_dim(eq_in(ctx, node, 0), 3))
    return eq_check_conv2d_depthwise_form(ctx, node);
  return why;
}

const eq_op_kind eq_op_conv2d = {{"CONV_2D", kTfLiteBuiltinConv2d, check},
                                 create, eval, conv_destroy, create_fast};
