/* QUANTIZE float32 -> int8 (AffineQuantize): q = round_half_away(x / scale) in float, + zero
 * point, clamped. Rounding is done with integer arithmetic, without libm. */
#ifndef EDGEQ_F32_QS8_VCVT_H
#define EDGEQ_F32_QS8_VCVT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void f32_qs8_vcvt_scalar(size_t n, const float* input, int8_t* output, float scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif
#endif
