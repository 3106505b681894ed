/* AVERAGE_POOL_2D, int8 NHWC (input and output share scale and zero point, as TFLite requires):
 * the mean of the in-bounds taps, rounded half away from zero, then the activation clamp.
 * One output pixel at a time, in order or in reverse, so the output may overlap the input. */
#ifndef EDGEQ_QS8_AVGPOOL_H
#define EDGEQ_QS8_AVGPOOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int16_t fh, fw, sh, sw, pad_top, pad_left;
  int32_t out_min, out_max;
  uint8_t reverse;
} qs8_pool_params;

void qs8_avgpool(const qs8_pool_params* p, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
