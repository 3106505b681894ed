/* DEPTHWISE_CONV_2D, int8 NHWC, any depth multiplier, weights in TFLite's own layout
 * [kh][kw][out_c] (int8, or TFLite INT4 packing of that array) so they cost no more flash than
 * in the .tflite file.
 *
 *   acc[c] = bias[c] + sum over in-bounds taps of W[t][c] * (x[t][c / mult] - in_zp)
 *   out[c] = clamp(MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]) + out_zp)   (double rounding)
 *
 * One output pixel at a time (all its channels), first to last or last to first (`reverse`), so
 * the compiler can let the output overlap the input in the arena by a known distance.
 */
#ifndef EDGEQ_QS8_DWCONV2D_H
#define EDGEQ_QS8_DWCONV2D_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, depth_mult;
  int16_t kh, kw, sh, sw, dh, dw, pad_top, pad_left;
  int32_t in_zp, out_zp, out_min, out_max;
  uint8_t weight_bits, reverse;
  const void* weights;
  const int32_t* bias;       /* [out_c] */
  const int32_t* mult;       /* [out_c] Q31 */
  const int32_t* shift;      /* [out_c] > 0 = left */
  const int32_t* bias_folded; /* [out_c] bias - in_zp * sum_t W[t][c]: pixels whose taps are all in bounds */
} qs8_dwconv2d_params;

/* Largest kh * kw the Cortex-M variants handle (they fall back to the portable kernel above it). */
#define QS8_DWCONV2D_MAX_TAPS 64

void qs8_dwconv2d(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output);
/* Depth multiplier 1, int8 weights: Armv7E-M DSP (SXTB16 + SMLABB/SMLATT, 4 channels at a time) and
 * Helium (4 channels per int32 vector, vector requantization); same results as qs8_dwconv2d. */
void qs8_dwconv2d_armsimd32(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output);
void qs8_dwconv2d_mve(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
