/* RESIZE_BILINEAR, int8, bit-exact with ResizeBilinearInteger: the source rows, columns and 10-bit fractions
 * of every output row and column computed once at create; per output row one s8-ibilinear call; rows cut
 * across threads. */
#include <stdlib.h>

#include "cpu_op.h"
#include "s8-ibilinear/s8-ibilinear.h"

typedef struct {
  size_t batches, in_h, in_w, out_h, out_w, channels;
  int32_t *y0, *y1, *dy; /* per output row: input rows and fraction */
  int32_t *x0, *x1, *dx; /* per output column: input pixel byte offsets and fraction */
} resize_state;

static void destroy(void* s_) {
  resize_state* s = s_;
  if (s) free(s->y0), free(s->x0);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteResizeBilinearParams* p = node->builtin_data;
  int h, w;
  if (eq_resize_bilinear_size(ctx, node, &h, &w)) return NULL;
  resize_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->batches = (size_t)eq_dim(in, 0), s->in_h = (size_t)eq_dim(in, 1), s->in_w = (size_t)eq_dim(in, 2);
  s->channels = (size_t)eq_dim(in, 3), s->out_h = (size_t)h, s->out_w = (size_t)w;
  s->y0 = malloc(3 * s->out_h * sizeof(int32_t));
  s->x0 = malloc(3 * s->out_w * sizeof(int32_t));
  if (!s->y0 || !s->x0) {
    destroy(s);
    return NULL;
  }
  s->y1 = s->y0 + s->out_h, s->dy = s->y1 + s->out_h;
  s->x1 = s->x0 + s->out_w, s->dx = s->x1 + s->out_w;
  const int32_t sy = s8_ibilinear_scale((int32_t)s->in_h, h, p->align_corners);
  const int32_t sx = s8_ibilinear_scale((int32_t)s->in_w, w, p->align_corners);
  for (int32_t y = 0; y < h; ++y) s8_ibilinear_coord(y, sy, p->half_pixel_centers, (int32_t)s->in_h, &s->dy[y], &s->y0[y], &s->y1[y]);
  for (int32_t x = 0; x < w; ++x) {
    s8_ibilinear_coord(x, sx, p->half_pixel_centers, (int32_t)s->in_w, &s->dx[x], &s->x0[x], &s->x1[x]);
    s->x0[x] *= (int32_t)s->channels;
    s->x1[x] *= (int32_t)s->channels;
  }
  return s;
}

typedef struct {
  const resize_state* s;
  const int8_t* in;
  int8_t* out;
} resize_job;

static void rows(const void* arg, size_t r0, size_t r1) {
  const resize_job* j = arg;
  const resize_state* s = j->s;
  const size_t in_row = s->in_w * s->channels, out_row = s->out_w * s->channels;
  for (size_t r = r0; r < r1; ++r) {
    const size_t b = r / s->out_h, y = r % s->out_h;
    const int8_t* img = j->in + b * s->in_h * in_row;
    s8_ibilinear_row(s->channels, s->out_w, img + (size_t)s->y0[y] * in_row, img + (size_t)s->y1[y] * in_row, s->dy[y],
                     s->x0, s->x1, s->dx, j->out + r * out_row);
  }
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  const resize_state* s = s_;
  const resize_job j = {s, in[0], out[0]};
  const size_t per_row = s->out_w * s->channels;
  size_t grain = per_row ? ((size_t)1 << 13) / per_row : 1;
  eq_pool_for_ranges(pool, s->batches * s->out_h, grain ? grain : 1, rows, &j);
  return kTfLiteOk;
}

const eq_op_kind eq_op_resize_bilinear = {{"RESIZE_BILINEAR", kTfLiteBuiltinResizeBilinear, eq_check_resize_bilinear},
                                          create, eval, destroy, NULL};
