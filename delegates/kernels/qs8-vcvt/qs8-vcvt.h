/* QUANTIZE int8 -> int8 (a change of scale and zero point):
 * out = clamp(out_zp + MultiplyByQuantizedMultiplier(x - in_zp, mult, shift)). */
#ifndef EDGEQ_QS8_VCVT_H
#define EDGEQ_QS8_VCVT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t in_zp, out_zp, mult, shift;
} qs8_cvt_params;

void qs8_vcvt_scalar(size_t n, const int8_t* input, int8_t* output, const qs8_cvt_params* p);

#ifdef __cplusplus
}
#endif
#endif
