/* aarch64 NEON depthwise kernel: 16 channels per step, widening multiply-accumulate
 * (smlal int16 x int16 -> int32) into four int32x4 accumulators; double-rounding requant
 * shared with the GEMM kernels. 3x3 gets its own fully unrolled copy. */
/* Variant of qs8-dwconv-16c-avx2.c: one file per ISA and weight type, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

static inline int8x16_t load16(const int8_t* p, size_t n) {
  if (n == QS8_DW_CT) return vld1q_s8(p);
  int8_t tmp[QS8_DW_CT] = {0}; /* channel tail: never read past the pixel */
  memcpy(tmp, p, n);
  return vld1q_s8(tmp);
}

static inline int32x4_t requant4(int32x4_t acc, const int32_t* mult, const int32_t* shift, const float* fscale,
                                 const qs8_dw_out_params* p) {
  if (p->fp32) /* mode=fast */
    return eq_neon_requant_fp32(acc, fscale, vdupq_n_f32((float)(p->out_min - p->out_zp)),
                                 vdupq_n_f32((float)(p->out_max - p->out_zp)), vdupq_n_s32(p->out_zp));
  const int32x4_t v = vaddq_s32(eq_neon_mbqm_double(acc, vld1q_s32(mult), vld1q_s32(shift)), vdupq_n_s32(p->out_zp));
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(p->out_min)), vdupq_n_s32(p->out_max));
}

static inline void tile16(size_t taps, const int8_t* const* ind, size_t c0, size_t n, const uint8_t* tile,
                          const qs8_dw_out_params* p, int8_t* out) {
  const int32_t* bias = qs8_dw_tile_bias(tile);
  int32x4_t a0 = vld1q_s32(bias), a1 = vld1q_s32(bias + 4), a2 = vld1q_s32(bias + 8), a3 = vld1q_s32(bias + 12);
  const int16_t* w = qs8_dw_tile_w(tile);
  for (size_t t = 0; t < taps; ++t) {
    const int8x16_t x = load16(ind[t] + c0, n);
    const int16x8_t xl = vmovl_s8(vget_low_s8(x)), xh = vmovl_high_s8(x);
    const int16x8_t wl = vld1q_s16(w + t * QS8_DW_CT), wh = vld1q_s16(w + t * QS8_DW_CT + 8);
    a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl));
    a1 = vmlal_high_s16(a1, xl, wl);
    a2 = vmlal_s16(a2, vget_low_s16(xh), vget_low_s16(wh));
    a3 = vmlal_high_s16(a3, xh, wh);
  }
  const int32_t* mult = qs8_dw_tile_mult(tile);
  const int32_t* shift = qs8_dw_tile_shift(tile);
  const float* fs = qs8_dw_tile_fscale(tile);
  a0 = requant4(a0, mult, shift, fs, p);
  a1 = requant4(a1, mult + 4, shift + 4, fs + 4, p);
  a2 = requant4(a2, mult + 8, shift + 8, fs + 8, p);
  a3 = requant4(a3, mult + 12, shift + 12, fs + 12, p);
  const int16x8_t l = vcombine_s16(vmovn_s32(a0), vmovn_s32(a1)), h = vcombine_s16(vmovn_s32(a2), vmovn_s32(a3));
  const int8x16_t b = vcombine_s8(vmovn_s16(l), vmovn_s16(h));
  if (n == QS8_DW_CT) {
    vst1q_s8(out + c0, b);
  } else {
    int8_t tmp[QS8_DW_CT];
    vst1q_s8(tmp, b);
    memcpy(out + c0, tmp, n);
  }
}

static inline void pixels_loop(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps);
  /* tiles outside, pixels inside: a tile's weights and requant constants stay in registers
   * (or at least in L1) while the row's pixels stream past */
  const uint8_t* tile = (const uint8_t*)packed;
  for (size_t c0 = 0; c0 < channels; c0 += QS8_DW_CT, tile += tile_bytes) {
    const size_t n = channels - c0 < QS8_DW_CT ? channels - c0 : QS8_DW_CT;
    for (size_t px = 0; px < pixels; ++px) tile16(taps, ind + px * taps, c0, n, tile, p, out + px * out_stride);
  }
}

void qs8_dwconv_16c_neon(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  if (taps == 9) /* 3x3: constant trip count, unrolled */
    pixels_loop(channels, 9, pixels, ind, packed, out, out_stride, p);
  else
    pixels_loop(channels, taps, pixels, ind, packed, out, out_stride, p);
}
