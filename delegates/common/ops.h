/* What both delegates know about each op they run: whether a node is supported (one check per
 * op; NULL = supported, else the reason the claim report shows) and the Prepare-time geometry
 * both compute the same way. The CPU kernels (cpu/ops/) and the GPU kernels (gpu/ops/) each
 * take these checks as they are, so both delegates claim the same nodes. */
#ifndef EDGEQ_COMMON_OPS_H
#define EDGEQ_COMMON_OPS_H

#include "edgeq/tflite_c_abi.h"

/* Padding before the first row/column from the output size (TFLite's ComputePaddingHeightWidth). */
static inline int eq_pad_before(int stride, int dilation, int in, int filter, int out) {
  const int eff = (filter - 1) * dilation + 1;
  const int total = (out - 1) * stride + eff - in;
  return total > 0 ? total / 2 : 0;
}

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

#endif /* EDGEQ_COMMON_OPS_H */
