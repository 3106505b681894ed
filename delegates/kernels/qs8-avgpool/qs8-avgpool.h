/* AVERAGE_POOL_2D, int8 NHWC (input and output share scale and zero point, as TFLite requires):
 * the mean of the in-bounds taps, rounded half away from zero, then the activation clamp.
 * One output pixel at a time, in order or in reverse, so the output may overlap the input. */
#ifndef EDGEQ_QS8_AVGPOOL_H
#define EDGEQ_QS8_AVGPOOL_H

#include <stddef.h>
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

/* The in-bounds window of output pixel `px` (also s8_maxpool's): its image, the input position
 * of filter tap (0, 0), and the tap ranges [fy0, fy1) x [fx0, fx1) that fall inside the input. */
typedef struct {
  const int8_t* image;
  int iy0, ix0, fy0, fy1, fx0, fx1;
} qs8_pool_window;

static inline qs8_pool_window qs8_pool_window_of(const qs8_pool_params* p, const int8_t* input, size_t px) {
  const size_t hw = (size_t)p->out_h * p->out_w;
  const int b = (int)(px / hw), oy = (int)((px % hw) / (size_t)p->out_w), ox = (int)(px % (size_t)p->out_w);
  qs8_pool_window w;
  w.image = input + (size_t)b * p->in_h * p->in_w * p->channels;
  w.iy0 = oy * p->sh - p->pad_top;
  w.ix0 = ox * p->sw - p->pad_left;
  w.fy0 = w.iy0 < 0 ? -w.iy0 : 0;
  w.fy1 = p->fh < p->in_h - w.iy0 ? p->fh : p->in_h - w.iy0;
  w.fx0 = w.ix0 < 0 ? -w.ix0 : 0;
  w.fx1 = p->fw < p->in_w - w.ix0 ? p->fw : p->in_w - w.ix0;
  return w;
}

#ifdef __cplusplus
}
#endif
#endif
