/* Which nodes the delegates can run: one support check per op, shared by the CPU delegate's
 * kernels and the GPU delegate's (same arithmetic, same constraints). NULL means supported;
 * otherwise the reason, which the claim report shows. */
#include <math.h>
#include <string.h>

#include "broadcast.h"
#include "ops.h"
#include "tensor.h"
#include "weights.h"

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

const char* eq_check_conv2d(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteConvParams* p = (const TfLiteConvParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !in || !w || !out) return "missing inputs";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "activations are not per-tensor int8";
  if (eq_rank(in) != 4 || eq_rank(w) != 4 || eq_rank(out) != 4) return "not 4-D";
  if (eq_dim(w, 3) != eq_dim(in, 3)) return "grouped convolution";
  if (eq_dim(w, 0) != eq_dim(out, 3)) return "filter/output channel mismatch";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->dilation_width_factor < 1 || p->dilation_height_factor < 1)
    return "bad stride/dilation";
  const char* why = eq_check_weights(w, 0, eq_dim(w, 0));
  if (why) return why;
  return eq_check_bias(b, eq_dim(w, 0));
}

const char* eq_check_depthwise_conv2d(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteDepthwiseConvParams* p = (const TfLiteDepthwiseConvParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !in || !w || !out) return "missing inputs";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "activations are not per-tensor int8";
  if (eq_rank(in) != 4 || eq_rank(w) != 4 || eq_rank(out) != 4 || eq_dim(w, 0) != 1) return "not 4-D";
  const int oc = eq_dim(out, 3), ic = eq_dim(in, 3);
  if (eq_dim(w, 3) != oc || ic == 0 || oc % ic != 0) return "channel mismatch";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->dilation_width_factor < 1 || p->dilation_height_factor < 1)
    return "bad stride/dilation";
  const char* why = eq_check_weights(w, 3, oc);
  if (why) return why;
  return eq_check_bias(b, oc);
}

const char* eq_check_fully_connected(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteFullyConnectedParams* p = (const TfLiteFullyConnectedParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  const TfLiteTensor* w = eq_in(ctx, node, 1);
  const TfLiteTensor* b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !in || !w || !out || node->outputs->size != 1) return "unexpected arity";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "activations are not per-tensor int8";
  if (p->weights_format != kTfLiteFullyConnectedWeightsFormatDefault) return "shuffled weights";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (eq_rank(w) != 2) return "weights are not 2-D";
  const size_t n = (size_t)eq_dim(w, 0), k = (size_t)eq_dim(w, 1);
  if (k == 0 || eq_numel(in) % k != 0) return "input size is not a multiple of the weight depth";
  if (eq_numel(out) != eq_numel(in) / k * n) return "output size mismatch";
  const char* why = eq_check_weights(w, 0, (int)n);
  if (why) return why;
  return eq_check_bias(b, (int)n);
}

const char* eq_check_add(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteAddParams* p = (const TfLiteAddParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!p || !a || !b || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(a) || !eq_is_qs8(b) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  eq_bcast bc;
  if (eq_bcast_init(&bc, a, b, out)) return "shapes do not broadcast (or rank > 5)";
  return NULL;
}

const char* eq_check_pool2d(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLitePoolParams* p = (const TfLitePoolParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!p || !in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (!eq_same_quant(in, out)) return "input and output quantization differ";
  if (eq_rank(in) != 4 || eq_rank(out) != 4 || eq_dim(in, 3) != eq_dim(out, 3) || eq_dim(in, 0) != eq_dim(out, 0))
    return "not 4-D NHWC";
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->filter_width < 1 || p->filter_height < 1)
    return "bad stride/filter";
  return NULL;
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
  return NULL;
}

const char* eq_check_softmax(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !in || !out) return "missing tensors";
  if (!eq_is_qs8(in) || !eq_is_qs8(out)) return "tensors are not per-tensor int8";
  if (out->params.zero_point != -128 || fabsf(out->params.scale - 1.f / 256) > 0.001f / 256)
    return "output is not scale 1/256, zero point -128";
  if (eq_rank(in) < 1 || eq_numel(in) != eq_numel(out)) return "shape mismatch";
  return NULL;
}

const char* eq_check_reshape(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *shape = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!in || !out) return "missing tensors";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  if (!eq_is_qs8(in) || !eq_is_qs8(out) || !eq_same_quant(in, out)) return "quantization differs";
  if (shape && !eq_is_const(shape)) return "shape is computed at run time";
  if (eq_numel(in) != eq_numel(out)) return "size mismatch";
  return NULL;
}

const char* eq_check_concatenation(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteConcatenationParams* p = (const TfLiteConcatenationParams*)node->builtin_data;
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  if (!p || !out || node->inputs->size < 1) return "missing tensors";
  if (!eq_is_qs8(out)) return "output is not per-tensor int8";
  if (p->activation != kTfLiteActNone) return "fused activation";
  const int rank = eq_rank(out);
  const int axis = p->axis < 0 ? p->axis + rank : p->axis;
  if (axis < 0 || axis >= rank) return "axis out of range";
  int axis_sum = 0;
  for (int i = 0; i < node->inputs->size; ++i) {
    const TfLiteTensor* t = eq_in(ctx, node, i);
    if (!t || !eq_is_qs8(t) || !eq_same_quant(t, out)) return "inputs do not share the output's int8 quantization";
    if (eq_rank(t) != rank) return "rank mismatch";
    for (int d = 0; d < rank; ++d)
      if (d != axis && eq_dim(t, d) != eq_dim(out, d)) return "shape mismatch";
    axis_sum += eq_dim(t, axis);
  }
  if (axis_sum != eq_dim(out, axis)) return "shape mismatch";
  return NULL;
}
