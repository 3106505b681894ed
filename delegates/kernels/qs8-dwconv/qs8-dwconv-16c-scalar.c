/* Portable depthwise kernel: the reference the SIMD variants are tested against. */
#include "base/requant.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

void qs8_dwconv_16c_scalar(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps);
  for (size_t px = 0; px < pixels; ++px, ind += taps, out += out_stride) {
    const uint8_t* tile = (const uint8_t*)packed;
    for (size_t c0 = 0; c0 < channels; c0 += QS8_DW_CT, tile += tile_bytes) {
      const size_t n = channels - c0 < QS8_DW_CT ? channels - c0 : QS8_DW_CT;
      const int32_t* bias = qs8_dw_tile_bias(tile);
      const int32_t* mult = qs8_dw_tile_mult(tile);
      const int32_t* shift = qs8_dw_tile_shift(tile);
      const int16_t* w = qs8_dw_tile_w(tile);
      for (size_t j = 0; j < n; ++j) {
        /* unsigned sums: the folded bias may wrap; the final value equals the reference's */
        uint32_t acc = (uint32_t)bias[j];
        for (size_t t = 0; t < taps; ++t) acc += (uint32_t)((int32_t)w[t * QS8_DW_CT + j] * ind[t][c0 + j]);
        if (p->fp32) {
          out[c0 + j] = (int8_t)eq_requant_fp32((int32_t)acc, qs8_dw_tile_fscale(tile)[j], p->out_zp, p->out_min,
                                                p->out_max);
          continue;
        }
        const int32_t v = eq_mbqm((int32_t)acc, mult[j], shift[j]) + p->out_zp;
        out[c0 + j] = (int8_t)eq_clamp(v, p->out_min, p->out_max);
      }
    }
  }
}
