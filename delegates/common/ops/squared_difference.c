/* SQUARED_DIFFERENCE, int8 (squared_difference.cc): both inputs rescaled to 2 * max(scale) with 7
 * bits of headroom, the difference squared, then rescaled to the output (all three multipliers
 * "smaller than one"). No activation. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

typedef struct {
  int32_t a_offset, b_offset, out_zp, a_mult, b_mult, out_mult;
  int a_shift, b_shift, out_shift;
} sqdiff_params;

static double out_real(const TfLiteTensor* a, const TfLiteTensor* b, const TfLiteTensor* out, double* twice_max) {
  const float max_scale = a->params.scale > b->params.scale ? a->params.scale : b->params.scale;
  *twice_max = (double)(2 * max_scale); /* a float product, then widened */
  return (*twice_max * *twice_max) / (double)((float)(1 << 14) * out->params.scale);
}

const char* eq_check_squared_difference(TfLiteContext* ctx, const TfLiteNode* node) {
  const char* why = eq_check_binary(ctx, node, kTfLiteActNone);
  if (why) return why;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (eq_rank(out) > 4) return "rank > 4 (the reference broadcasts in 4-D)";
  double twice_max;
  if (out_real(a, b, out, &twice_max) >= 1.0)
    return "output multiplier >= 1 (output scale tiny against the inputs'): outside LiteRT's arithmetic";
  return NULL;
}

void eq_squared_difference_table(TfLiteContext* ctx, const TfLiteNode* node, int8_t table[65536]) {
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  sqdiff_params p;
  double twice_max;
  const double real_out = out_real(a, b, out, &twice_max);
  eq_quantize_multiplier((double)a->params.scale / twice_max, &p.a_mult, &p.a_shift);
  eq_quantize_multiplier((double)b->params.scale / twice_max, &p.b_mult, &p.b_shift);
  eq_quantize_multiplier(real_out, &p.out_mult, &p.out_shift);
  p.a_offset = -a->params.zero_point;
  p.b_offset = -b->params.zero_point;
  p.out_zp = out->params.zero_point;
  int32_t sb[256];
  for (int y = 0; y < 256; ++y)
    sb[y] = eq_mbqm_smaller_than_one(((int8_t)y + p.b_offset) * (1 << 7), p.b_mult, p.b_shift);
  for (int x = 0; x < 256; ++x) {
    const int32_t sa = eq_mbqm_smaller_than_one(((int8_t)x + p.a_offset) * (1 << 7), p.a_mult, p.a_shift);
    for (int y = 0; y < 256; ++y) {
      const int32_t d = sa - sb[y];
      const int32_t r = eq_mbqm_smaller_than_one(d * d, p.out_mult, p.out_shift) + p.out_zp;
      table[x * 256 + y] = (int8_t)eq_clamp(r, -128, 127);
    }
  }
}
