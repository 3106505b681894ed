/* Depthwise convolution for Armv7E-M (DSP extension), depth multiplier 1, int8 weights. Four
 * channels per step: one 32-bit load of inputs and one of weights, split by SXTB16 into int16
 * pairs (channels 0/2 and 1/3), multiplied lane by lane with SMLABB / SMLATT. Pixels with every
 * tap in bounds start from the folded bias (no zero-point term per tap); border pixels add the
 * input offset to each pair with SADD16. Requantization: base/requant-armsimd32.h. */
/* Variant of qs8-dwconv2d-scalar.c: one file per ISA, as in XNNPACK. */
#include "base/armsimd32.h"
#include "qs8-dwconv2d/qs8-dwconv2d-pixel.h"
#include "base/requant-armsimd32.h"

void qs8_dwconv2d_armsimd32(const qs8_dwconv2d_params* p, const int8_t* input, int8_t* output) {
  if (p->kh * p->kw > QS8_DWCONV2D_MAX_TAPS || p->depth_mult != 1 || p->weight_bits != 8) {
    qs8_dwconv2d(p, input, output);
    return;
  }
  const size_t pixels = (size_t)p->batches * p->out_h * p->out_w;
  const size_t C = (size_t)p->out_c, c4 = C & ~(size_t)3;
  const int32_t in_off = -p->in_zp;
  const uint32_t off2 = (uint32_t)(uint16_t)in_off * 0x00010001u;
  const int8_t* xs[QS8_DWCONV2D_MAX_TAPS];
  const int8_t* ws[QS8_DWCONV2D_MAX_TAPS];
  for (size_t pi = 0; pi < pixels; ++pi) {
    const size_t px = p->reverse ? pixels - 1 - pi : pi;
    int all_in;
    const int taps = qs8_dw_taps(p, input, px, xs, ws, &all_in);
    int8_t* dst = output + px * C;
    const int32_t* bias = all_in ? p->bias_folded : p->bias;
    size_t c = 0;
    for (; c < c4; c += 4) {
      int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
      if (all_in) {
        for (int t = 0; t < taps; ++t) {
          const uint32_t x = eq_load32(xs[t] + c), w = eq_load32(ws[t] + c);
          const uint32_t xe = eq_sxtb16(x), xo = eq_sxtb16_ror8(x), we = eq_sxtb16(w), wo = eq_sxtb16_ror8(w);
          a0 = eq_smlabb(xe, we, a0);
          a2 = eq_smlatt(xe, we, a2);
          a1 = eq_smlabb(xo, wo, a1);
          a3 = eq_smlatt(xo, wo, a3);
        }
      } else {
        for (int t = 0; t < taps; ++t) {
          const uint32_t x = eq_load32(xs[t] + c), w = eq_load32(ws[t] + c);
          const uint32_t xe = eq_sadd16(eq_sxtb16(x), off2), xo = eq_sadd16(eq_sxtb16_ror8(x), off2);
          const uint32_t we = eq_sxtb16(w), wo = eq_sxtb16_ror8(w);
          a0 = eq_smlabb(xe, we, a0);
          a2 = eq_smlatt(xe, we, a2);
          a1 = eq_smlabb(xo, wo, a1);
          a3 = eq_smlatt(xo, wo, a3);
        }
      }
      dst[c] = eq_requantize_armsimd32(a0, p->mult[c], p->shift[c], 0, p->out_zp, p->out_min, p->out_max);
      dst[c + 1] = eq_requantize_armsimd32(a1, p->mult[c + 1], p->shift[c + 1], 0, p->out_zp, p->out_min, p->out_max);
      dst[c + 2] = eq_requantize_armsimd32(a2, p->mult[c + 2], p->shift[c + 2], 0, p->out_zp, p->out_min, p->out_max);
      dst[c + 3] = eq_requantize_armsimd32(a3, p->mult[c + 3], p->shift[c + 3], 0, p->out_zp, p->out_min, p->out_max);
    }
    for (; c < C; ++c) {
      int32_t a = p->bias[c];
      for (int t = 0; t < taps; ++t) a += (int32_t)ws[t][c] * ((int32_t)xs[t][c] + in_off);
      dst[c] = eq_requantize_armsimd32(a, p->mult[c], p->shift[c], 0, p->out_zp, p->out_min, p->out_max);
    }
  }
}
