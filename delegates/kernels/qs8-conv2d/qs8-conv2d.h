/* CONV_2D (and FULLY_CONNECTED as a 1x1 conv), int8 NHWC, through the qs8 GEMM micro-kernels.
 *
 * Output pixels are computed in blocks of the micro-kernel's MR rows: the block's input patches
 * (kh, kw, cin order = TFLite's [O][H][W][I] filter layout) are copied to `scratch` first,
 * padding taps filled with the input zero point (which contributes 0: the packed bias already
 * holds bias - in_zp * sum(W)), then every tile of NR output channels is computed from there.
 * Because a block's input sits in scratch before any of its output is written, the output
 * may overlap the input in the arena (the compiler checks how far, for either direction).
 *
 * Weights, bias, multipliers and shifts come packed for the micro-kernel's layout, computed
 * ahead of time (see qs8_ukernel.h); `scratch` holds MR * kc bytes plus MR * NR.
 */
#ifndef EDGEQ_QS8_CONV2D_H
#define EDGEQ_QS8_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "qs8-gemm/qs8-gemm-ukernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int16_t kh, kw, sh, sw, dh, dw, pad_top, pad_left;
  int32_t in_zp;
  int32_t k, kc;                   /* reduction length, and padded to the kernel's kpad */
  int32_t tile_bytes;              /* packed weight bytes per tile of nr channels */
  uint8_t mr, nr, reverse;         /* reverse: blocks from the last output pixel to the first */
  const qs8_ukernel_fn* ukernel;   /* [mr]: entry r computes r + 1 rows */
  const void* weights;             /* n_tiles * tile_bytes */
  const int32_t* bias;             /* folded, padded to n_tiles * nr */
  const int32_t* mult;
  const int32_t* shift;
  int32_t rounding;                /* qs8_rounding: DOUBLE (CONV_2D) or SINGLE (FULLY_CONNECTED) */
  int32_t out_zp, out_min, out_max;
} qs8_conv2d_params;

void qs8_conv2d(const qs8_conv2d_params* p, const int8_t* input, int8_t* output, int8_t* scratch);

#ifdef __cplusplus
}
#endif
#endif
