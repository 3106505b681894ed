/* DEQUANTIZE int8 -> float32: (float)((double)scale * (x - zero_point)), the reference's
 * double product (soft-float on cores without a double FPU). */
#ifndef EDGEQ_QS8_F32_VCVT_H
#define EDGEQ_QS8_F32_VCVT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void qs8_f32_vcvt_scalar(size_t n, const int8_t* input, float* output, double scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif
#endif
