/* Reading TFLite tensors and nodes: the accessors and type tests every op of both delegates
 * uses when it checks or prepares a node. */
#ifndef EDGEQ_COMMON_TENSOR_H
#define EDGEQ_COMMON_TENSOR_H

#include <stddef.h>

#include "edgeq/tflite_c_abi.h"

/* Input / output i of a node; NULL when absent (omitted optional input). */
static inline const TfLiteTensor* eq_in(TfLiteContext* ctx, const TfLiteNode* node, int i) {
  if (i >= node->inputs->size || node->inputs->data[i] < 0) return NULL;
  return &ctx->tensors[node->inputs->data[i]];
}
static inline const TfLiteTensor* eq_out(TfLiteContext* ctx, const TfLiteNode* node, int i) {
  if (i >= node->outputs->size || node->outputs->data[i] < 0) return NULL;
  return &ctx->tensors[node->outputs->data[i]];
}
static inline int eq_rank(const TfLiteTensor* t) { return t->dims ? t->dims->size : 0; }
static inline int eq_dim(const TfLiteTensor* t, int i) { return t->dims->data[i]; }
static inline size_t eq_numel(const TfLiteTensor* t) {
  size_t n = 1;
  for (int i = 0; i < eq_rank(t); ++i) n *= (size_t)t->dims->data[i];
  return n;
}
static inline int eq_is_const(const TfLiteTensor* t) {
  return t->allocation_type == kTfLiteMmapRo || t->allocation_type == kTfLitePersistentRo;
}
/* Per-tensor affine-quantized int8 activation. */
static inline int eq_is_qs8(const TfLiteTensor* t) {
  if (!t || t->type != kTfLiteInt8 || t->quantization.type != kTfLiteAffineQuantization) return 0;
  const TfLiteAffineQuantization* q = (const TfLiteAffineQuantization*)t->quantization.params;
  return q && q->scale && q->scale->size == 1 && t->params.scale > 0.0f;
}
static inline int eq_same_quant(const TfLiteTensor* a, const TfLiteTensor* b) {
  return a->params.scale == b->params.scale && a->params.zero_point == b->params.zero_point;
}
static inline int eq_supported_activation(int act) {
  return act == kTfLiteActNone || act == kTfLiteActRelu || act == kTfLiteActRelu6 ||
         act == kTfLiteActReluN1To1;
}

#endif /* EDGEQ_COMMON_TENSOR_H */
