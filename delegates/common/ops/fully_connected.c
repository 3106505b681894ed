/* FULLY_CONNECTED: what both delegates support, and its shape and output range. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"
#include "weights.h"

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
  if (k == 0 || eq_numel(in) % k != 0) {
    /* TensorFlow's dynamic-batch graphs feed FCs from a run-time reshape: no size to check yet */
    const TfLiteIntArray* sig = in->dims_signature;
    for (int i = 0; sig && i < sig->size; ++i)
      if (sig->data[i] < 0) return "input shape is known only at run time (fed by a run-time reshape)";
    return "input size is not a multiple of the weight depth";
  }
  if (eq_numel(out) != eq_numel(in) / k * n) return "output size mismatch";
  const char* why = eq_check_weights(w, 0, (int)n);
  if (why) return why;
  return eq_check_bias(b, (int)n);
}

void eq_fully_connected_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_fc_params* p) {
  const TfLiteFullyConnectedParams* params = (const TfLiteFullyConnectedParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  p->n = eq_dim(w, 0);
  p->k = eq_dim(w, 1);
  p->m = (int)(eq_numel(in) / (size_t)p->k);
  p->in_zp = in->params.zero_point;
  p->out_zp = out->params.zero_point;
  eq_activation_range_int8(params->activation, out->params.scale, out->params.zero_point, &p->act_min, &p->act_max);
}
