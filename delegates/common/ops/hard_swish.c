/* HARD_SWISH: what the delegates support (the reference's int16 fixed-point path needs an output
 * multiplier below 1), and that path (hires input scale x*2^7, "relu-ish" multiplier in [0,1],
 * non-rounding SaturatingDoublingHighMul) evaluated into the op's table. */
#include "ops.h"

#include <stdint.h>

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_hard_swish(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (eq_numel(in) != eq_numel(out)) return "shape mismatch";
  const float hires = (1.0f / 128.0f) * in->params.scale;
  int32_t m;
  int e;
  eq_quantize_multiplier((double)(hires / out->params.scale), &m, &e);
  if (e > 0) return "output scale too small for the int16 path";
  return NULL;
}

typedef struct {
  int32_t in_zp, out_zp;
  int16_t out_mult, relu_mult;
  int out_exp, relu_exp;
} hswish_state;

static int16_t sat16(int64_t v) { return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v)); }

static int16_t srdhm16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

static int16_t sdhm16(int16_t a, int16_t b) { /* truncating, like SQDMULH */
  if (a == b && a == INT16_MIN) return INT16_MAX;
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t rdpot16(int16_t x, int exponent) {
  if (exponent <= 0) return x;
  const int16_t mask = (int16_t)((1 << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* DownScaleInt32ToInt16Multiplier */
static int16_t downscale(int32_t m) {
  if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
  return (int16_t)((m + (1 << 15)) >> 16);
}

/* HardSwish (reference_ops, quantized) for one input value. */
static int8_t hswish_one(const hswish_state* s, int8_t x) {
  const int16_t input_value = (int16_t)(x - s->in_zp);
  const int16_t hires = (int16_t)(input_value * (1 << 7));
  const int16_t preshift_out = srdhm16(hires, s->out_mult);
  int16_t reluish = hires;
  if (s->relu_exp > 0) reluish = sat16((int64_t)reluish * (1 << (s->relu_exp - 1)));
  reluish = srdhm16(reluish, s->relu_mult);
  if (s->relu_exp > 0) reluish = sat16((int64_t)reluish * 2);
  if (s->relu_exp < 0) reluish = rdpot16(reluish, -s->relu_exp);
  reluish = (int16_t)((reluish + (1 << 15)) >> 1);
  const int16_t pre = sdhm16(reluish, preshift_out);
  const int16_t o = rdpot16(pre, -s->out_exp);
  const int32_t v = (int32_t)(int16_t)(o + s->out_zp);
  return (int8_t)eq_clamp(v, -128, 127);
}

void eq_hard_swish_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]) {
  hswish_state s;
  s.in_zp = in->params.zero_point;
  s.out_zp = out->params.zero_point;
  /* float arithmetic, as HardSwishPrepare does */
  const float hires_input_scale = (1.0f / 128.0f) * in->params.scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float output_multiplier = hires_input_scale / out->params.scale;
  const float reluish_multiplier = hires_input_scale / reluish_scale;
  int32_t m32;
  eq_quantize_multiplier((double)output_multiplier, &m32, &s.out_exp);
  s.out_mult = downscale(m32);
  eq_quantize_multiplier((double)reluish_multiplier, &m32, &s.relu_exp);
  s.relu_mult = downscale(m32);
  for (int v = -128; v <= 127; ++v) lut[(uint8_t)(int8_t)v] = hswish_one(&s, (int8_t)v);
}
