/* Checks and Prepare-time parameter helpers shared by conv, depthwise conv and FC. */
#include "weights.h"

#include <string.h>

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_weights(const TfLiteTensor* w, int qdim, int channels) {
  if (!w) return "missing weights";
  if (w->type != kTfLiteInt8 && w->type != kTfLiteInt4) return "weights are not int8/int4";
  if (!eq_is_const(w) || !w->data.raw) return "weights are not constant";
  if (w->quantization.type != kTfLiteAffineQuantization || !w->quantization.params)
    return "weights are not affine-quantized";
  const TfLiteAffineQuantization* q = (const TfLiteAffineQuantization*)w->quantization.params;
  if (!q->scale || (q->scale->size != 1 && q->scale->size != channels)) return "weight scale count mismatch";
  if (q->scale->size > 1 && q->quantized_dimension != qdim) return "weights quantized along an unexpected axis";
  if (q->zero_point) {
    for (int i = 0; i < q->zero_point->size; ++i)
      if (q->zero_point->data[i] != 0) return "weight zero point is not 0";
  }
  for (int i = 0; i < q->scale->size; ++i)
    if (!(q->scale->data[i] > 0.0f)) return "weight scale is not positive";
  return NULL;
}

float eq_weight_scale(const TfLiteTensor* w, int c) {
  const TfLiteAffineQuantization* q = (const TfLiteAffineQuantization*)w->quantization.params;
  return q->scale->size == 1 ? q->scale->data[0] : q->scale->data[c];
}

const char* eq_check_bias(const TfLiteTensor* b, int n) {
  if (!b) return NULL;
  if (b->type != kTfLiteInt32) return "bias is not int32";
  if (!eq_is_const(b) || !b->data.raw) return "bias is not constant";
  if ((int)eq_numel(b) != n) return "bias size mismatch";
  return NULL;
}

void eq_channel_multipliers(const TfLiteTensor* input, const TfLiteTensor* filter, const TfLiteTensor* output,
                            int channels, int32_t* multiplier, int32_t* shift) {
  for (int c = 0; c < channels; ++c) {
    /* float scales promoted to double before multiplying, as kernel_util.cc does */
    const double eff = (double)input->params.scale * (double)eq_weight_scale(filter, c) /
                       (double)output->params.scale;
    int s = 0;
    eq_quantize_multiplier(eff, &multiplier[c], &s);
    shift[c] = s;
  }
}
