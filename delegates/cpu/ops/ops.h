/* Operator interface of the edgeq CPU delegate: one eq_op_kind per TFLite builtin.
 *
 * check()   decides at partition time whether a node (op, types, params) is supported;
 * create()  runs once per claimed node when the delegate kernel is built: it computes
 *           TFLite's Prepare-time parameters (multipliers, shifts, tables) from the float
 *           scales and packs constant weights; shapes are static from then on;
 * eval()    runs the node; `in`/`out` hold the current data pointers of the node's
 *           inputs/outputs (NULL for an omitted optional input).
 */
#ifndef EDGEQ_CPU_OPS_H
#define EDGEQ_CPU_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "edgeq/tflite_c_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eq_pool eq_pool;

typedef struct eq_op_kind {
  const char* name; /* TFLite builtin name, as users write it in the `ops` option */
  int builtin_code;
  const char* (*check)(TfLiteContext* ctx, const TfLiteNode* node); /* NULL = supported, else why not */
  void* (*create)(TfLiteContext* ctx, const TfLiteNode* node, int num_threads); /* NULL = failure */
  TfLiteStatus (*eval)(void* state, const void* const* in, void* const* out, eq_pool* pool);
  void (*destroy)(void* state);
  /* mode=fast (opt-in): like create() but with fp32 requantization, within +-1 of the exact
   * kernels; NULL = the op has no fast variant and create() is used in either mode. */
  void* (*create_fast)(TfLiteContext* ctx, const TfLiteNode* node, int num_threads);
} eq_op_kind;

/* Padding before the first row/column from the output size (TFLite's ComputePaddingHeightWidth). */
static inline int eq_pad_before(int stride, int dilation, int in, int filter, int out) {
  const int eff = (filter - 1) * dilation + 1;
  const int total = (out - 1) * stride + eff - in;
  return total > 0 ? total / 2 : 0;
}

/* Support checks shared with the GPU delegate (ops/op_checks.c): NULL = supported, else why not. */
#define EQ_MEAN_MAX_RANK 6
int eq_mean_axes(const TfLiteTensor* in, const TfLiteTensor* axis, int* reduced); /* -1: axis out of range */
const char* eq_check_conv2d(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_depthwise_conv2d(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_fully_connected(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_add(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_pool2d(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_mean(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_softmax(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_reshape(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_concatenation(TfLiteContext* ctx, const TfLiteNode* node);

/* The registry (ops/registry.c). */
const eq_op_kind* eq_find_op(int builtin_code);
const eq_op_kind* eq_find_op_by_name(const char* name);
size_t eq_op_count(void);
const eq_op_kind* eq_op_at(size_t i);

/* Runs fn(arg, i) for i in [0, n) on the pool's threads (caller included); pool may be NULL. */
void eq_pool_parallel_for(eq_pool* pool, size_t n, void (*fn)(void* arg, size_t i), void* arg);
int eq_pool_threads(const eq_pool* pool);
/* Slot of the calling thread inside a parallel_for task: 0..threads-1, fixed per thread and
 * never shared by two threads of one pool (per-thread scratch index). */
int eq_pool_slot(void);

/* ---- tensor helpers shared by the ops ---- */
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
/* Constant int8/int4 weight tensor, symmetric (zero points 0), per-tensor or per-channel
 * along `qdim` with `channels` scales. Returns NULL when usable, else the reason. */
const char* eq_check_weights(const TfLiteTensor* w, int qdim, int channels);
/* Scale of channel c of a (per-tensor or per-channel) weight tensor. */
float eq_weight_scale(const TfLiteTensor* w, int c);
/* Constant int32 bias of `n` elements, or absent (NULL tensor). */
const char* eq_check_bias(const TfLiteTensor* b, int n);

/* Per-channel multipliers as PopulateConvolutionQuantizationParams computes them. */
void eq_channel_multipliers(const TfLiteTensor* input, const TfLiteTensor* filter, const TfLiteTensor* output,
                            int channels, int32_t* multiplier, int32_t* shift);

#ifdef __cplusplus
}
#endif
#endif /* EDGEQ_CPU_OPS_H */
