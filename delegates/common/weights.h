/* Constant weights and biases of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: what both
 * delegates accept, and the per-channel multipliers TFLite's Prepare derives from their scales. */
#ifndef EDGEQ_COMMON_WEIGHTS_H
#define EDGEQ_COMMON_WEIGHTS_H

#include <stdint.h>

#include "edgeq/tflite_c_abi.h"

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

#endif /* EDGEQ_COMMON_WEIGHTS_H */
