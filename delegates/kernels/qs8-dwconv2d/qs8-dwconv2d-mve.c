/* Depthwise convolution for Armv8.1-M Helium (MVE), depth multiplier 1, int8 weights. Four
 * channels per int32 vector: inputs and weights loaded with sign extension (VLDRB.S32), multiplied
 * and added, the channel tail predicated; requantization on the same vectors (base/requant-mve.h). */
/* Variant of qs8-dwconv2d-scalar.c: one file per ISA, as in XNNPACK. */
#include <arm_mve.h>

#include "qs8-dwconv2d/qs8-dwconv2d-pixel.h"
#include "base/requant-mve.h"

void qs8_dwconv2d_mve(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output) {
  if (p->kh * p->kw > QS8_DWCONV2D_MAX_TAPS || p->depth_mult != 1 || p->weight_bits != 8) {
    qs8_dwconv2d(p, input, output);
    return;
  }
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w;
  const int32_t C = p->out_c;
  const int32_t in_off = -p->in_zp;
  const int8_t* xs[QS8_DWCONV2D_MAX_TAPS];
  const int8_t* ws[QS8_DWCONV2D_MAX_TAPS];
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    int all_in;
    const int taps = qs8_dw_taps(p, input, px, xs, ws, &all_in);
    int8_t* dst = output + px * (size_t)C;
    const int32_t* bias = all_in ? p->bias_folded : p->bias;
    for (int32_t c = 0; c < C; c += 4) {
      const mve_pred16_t lanes = vctp32q((uint32_t)(C - c));
      int32x4_t acc = vldrwq_z_s32(bias + c, lanes);
      if (all_in) {
        for (int t = 0; t < taps; ++t) {
          const int32x4_t x = vldrbq_z_s32(xs[t] + c, lanes), w = vldrbq_z_s32(ws[t] + c, lanes);
          acc = vaddq_s32(acc, vmulq_s32(x, w));
        }
      } else {
        for (int t = 0; t < taps; ++t) {
          const int32x4_t x = vaddq_n_s32(vldrbq_z_s32(xs[t] + c, lanes), in_off);
          acc = vaddq_s32(acc, vmulq_s32(x, vldrbq_z_s32(ws[t] + c, lanes)));
        }
      }
      const int32x4_t v = eq_requantize_mve(acc, vldrwq_z_s32(p->mult + c, lanes), vldrwq_z_s32(p->shift + c, lanes),
                                             p->out_zp, p->out_min, p->out_max);
      vstrbq_p_s32(dst + c, v, lanes);
    }
  }
}
