/* MEAN: what both delegates support, and reduce.cc's Prepare-time multiplier (integer sum,
 * then one requantization with 1/count folded into the multiplier). */
#include "ops.h"

#include <string.h>

#include "base/requant.h"
#include "tensor.h"

int eq_mean_axes(const TfLiteTensor* in, const TfLiteTensor* axis, int* reduced) {
  const int rank = eq_rank(in);
  memset(reduced, 0, sizeof(int) * EQ_MEAN_MAX_RANK);
  for (size_t i = 0; i < eq_numel(axis); ++i) {
    int a = axis->data.i32[i];
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return -1;
    reduced[a] = 1;
  }
  return 0;
}

const char* eq_check_mean(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *axis = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !in || !axis || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (axis->type != kTfLiteInt32 || !eq_is_const(axis) || !axis->data.raw) return "axis is not a constant int32 tensor";
  if (eq_rank(in) < 1 || eq_rank(in) > EQ_MEAN_MAX_RANK) return "rank not supported";
  int reduced[EQ_MEAN_MAX_RANK];
  if (eq_mean_axes(in, axis, reduced)) return "axis out of range";
  size_t out_n = 1;
  for (int i = 0; i < eq_rank(in); ++i)
    if (!reduced[i]) out_n *= (size_t)eq_dim(in, i);
  if (out_n != eq_numel(out)) return "output size mismatch";
  if (eq_numel(in) == 0) return "empty input";
  eq_mean_params mp;
  eq_mean_prepare(ctx, node, &mp);
  return mp.shift > 31 ? EQ_SHIFT_TOO_LARGE : NULL;
}

void eq_mean_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_mean_params* p) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *axis = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->rank = eq_rank(in);
  eq_mean_axes(in, axis, p->reduced);
  p->count = 1;
  for (int i = 0; i < p->rank; ++i) {
    p->dims[i] = eq_dim(in, i);
    if (p->reduced[i]) p->count *= p->dims[i];
  }
  p->in_zp = in->params.zero_point;
  p->out_zp = out->params.zero_point;
  int32_t m;
  int sh;
  eq_quantize_multiplier((double)in->params.scale / (double)out->params.scale, &m, &sh);
  /* fold 1/count into the multiplier, clamping the shift like the reference */
  int shift = 63 - __builtin_clzll((unsigned long long)p->count);
  if (shift > 32) shift = 32;
  if (shift > 31 + sh) shift = 31 + sh;
  p->mult = (int32_t)(((int64_t)m << shift) / p->count);
  p->shift = sh - shift;
}
