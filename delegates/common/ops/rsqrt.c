/* RSQRT, int8 (elementwise.cc): per value, the gemmlowp Newton-Raphson inverse square root of
 * (x - zp) (GetInvSqrtQuantizedMultiplierExp), then two double-rounding rescales; evaluated once per
 * int8 value into a table. LiteRT fails the invoke on an input below the zero point, so only a zero
 * point of -128 (nothing below it) is claimed. */
#include "ops.h"

#include <math.h>

#include "base/fixedpoint.h"
#include "base/requant.h"
#include "tensor.h"

const char* eq_check_rsqrt(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out || node->inputs->size != 1) return "unexpected arity";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  if (in->params.zero_point != -128)
    return "input zero point above -128: LiteRT fails the invoke on inputs below it (no result to match)";
  const double real = 1.0 / (double)(sqrtf(in->params.scale) * out->params.scale);
  int32_t m;
  int shift;
  eq_quantize_multiplier(real, &m, &shift);
  if (shift - 20 >= 32) return EQ_SHIFT_TOO_LARGE;
  return NULL;
}

/* GetInvSqrtQuantizedMultiplierExp with reverse_shift = -1, for 0 <= x < 2^29 */
static void inv_sqrt_multiplier(int32_t x, int32_t* mult, int* shift) {
  if (x <= 1) {
    *mult = INT32_MAX;
    *shift = 0;
    return;
  }
  int s = 11;
  const unsigned pairs = (unsigned)(__builtin_clz((uint32_t)x) - 1) / 2 - 1;
  s -= (int)pairs;
  x = (int32_t)((uint32_t)x << (2 * pairs));
  const int32_t half_input = eq_rdpot(x >> 1, 1);          /* F3 */
  const int32_t half_three = (1 << 28) + (1 << 27);          /* 1.5 in F3 */
  int32_t r = 1 << 28;                                       /* 1.0 in F3 */
  for (int i = 0; i < 5; ++i) {
    const int32_t r3 = fp_mul_pot(fp_mul(fp_mul(r, r), r), 6); /* F9 -> F3 */
    r = fp_mul_pot((int32_t)((uint32_t)fp_mul(half_three, r) - (uint32_t)fp_mul(half_input, r3)), 3); /* F6 -> F3 */
  }
  r = fp_mul(r, 1518500250); /* * sqrt(2)/2 in F0 */
  if (s < 0) {
    r = (int32_t)((uint32_t)r << -s);
    s = 0;
  }
  *mult = r;
  *shift = -s;
}

void eq_rsqrt_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]) {
  const double real = 1.0 / (double)(sqrtf(in->params.scale) * out->params.scale);
  int32_t m;
  int shift;
  eq_quantize_multiplier(real, &m, &shift);
  for (int32_t v = -128; v <= 127; ++v) {
    const int32_t value = v - in->params.zero_point;
    int32_t q = 127;
    if (value > 0) {
      int32_t im;
      int is;
      inv_sqrt_multiplier(value, &im, &is);
      const int32_t data = eq_mbqm(1, im, is + 20);
      q = eq_clamp(eq_mbqm(data, m, shift - 20) + out->params.zero_point, -128, 127);
    }
    lut[(uint8_t)(int8_t)v] = (int8_t)q;
  }
}
