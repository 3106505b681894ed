/* RESIZE_BILINEAR: what the delegates support (int8 NHWC, constant output size). The reference kernel
 * (ResizeBilinearInteger) interpolates the stored int8 values and never requantizes. */
#include "ops.h"

#include "s8-ibilinear/s8-ibilinear.h"
#include "tensor.h"

int eq_resize_bilinear_size(TfLiteContext* ctx, const TfLiteNode* node, int* out_h, int* out_w) {
  const TfLiteTensor* size = eq_in(ctx, node, 1);
  *out_h = *out_w = 0;
  if (!size || size->type != kTfLiteInt32 || !eq_is_const(size) || !size->data.raw || eq_numel(size) != 2) return -1;
  if (size->data.i32[0] <= 0 || size->data.i32[1] <= 0) return -1;
  *out_h = size->data.i32[0];
  *out_w = size->data.i32[1];
  return 0;
}

/* every output index reads inside the input (the reference does not clamp the lower index) */
static int axis_in_range(int32_t in_size, int32_t out_size, const TfLiteResizeBilinearParams* p) {
  const int32_t scale = s8_ibilinear_scale(in_size, out_size, p->align_corners);
  for (int32_t i = 0; i < out_size; ++i) {
    int32_t frac, lo, hi;
    s8_ibilinear_coord(i, scale, p->half_pixel_centers, in_size, &frac, &lo, &hi);
    if (lo > in_size - 1 || hi < 0) return 0;
  }
  return 1;
}

const char* eq_check_resize_bilinear(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  const TfLiteResizeBilinearParams* p = node->builtin_data;
  if (!in || !out || !p || node->inputs->size != 2) return "unexpected arity";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  if (eq_rank(in) != 4 || eq_rank(out) != 4) return "rank is not 4";
  if (p->align_corners && p->half_pixel_centers) return "align_corners with half_pixel_centers";
  int h, w;
  if (eq_resize_bilinear_size(ctx, node, &h, &w)) return "output size not a constant int32 pair";
  if (eq_dim(out, 0) != eq_dim(in, 0) || eq_dim(out, 1) != h || eq_dim(out, 2) != w || eq_dim(out, 3) != eq_dim(in, 3))
    return "output shape does not match the size";
  if (eq_dim(in, 1) > (1 << 20) || eq_dim(in, 2) > (1 << 20) || h > (1 << 20) || w > (1 << 20)) return "too large";
  if (!axis_in_range(eq_dim(in, 1), h, p) || !axis_in_range(eq_dim(in, 2), w, p)) return "reads outside the input";
  return NULL;
}
