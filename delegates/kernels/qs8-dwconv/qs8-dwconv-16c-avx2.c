/* AVX2 depthwise kernel: 16 channels per step, int8 inputs widened to int16, exact int16
 * products (|w * x| <= 2^14) widened into two int32x8 accumulators; double-rounding requant
 * shared with the GEMM kernels. 3x3 gets its own fully unrolled copy. Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx2.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

static inline __m128i load16(const int8_t* p, size_t n) {
  if (n == QS8_DW_CT) return _mm_loadu_si128((const __m128i*)p);
  int8_t tmp[QS8_DW_CT] = {0}; /* channel tail: never read past the pixel */
  memcpy(tmp, p, n);
  return _mm_loadu_si128((const __m128i*)tmp);
}

static inline void tile16(size_t taps, const int8_t* const* ind, size_t c0, size_t n, const uint8_t* tile,
                          const qs8_dw_out_params* p, int8_t* out) {
  __m256i lo = _mm256_load_si256((const __m256i*)qs8_dw_tile_bias(tile));
  __m256i hi = _mm256_load_si256((const __m256i*)(qs8_dw_tile_bias(tile) + 8));
  const int16_t* w = qs8_dw_tile_w(tile);
  for (size_t t = 0; t < taps; ++t) {
    const __m256i x = _mm256_cvtepi8_epi16(load16(ind[t] + c0, n));
    const __m256i prod = _mm256_mullo_epi16(x, _mm256_load_si256((const __m256i*)(w + t * QS8_DW_CT)));
    lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)));
    hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
  }
  const __m256i zp = _mm256_set1_epi32(p->out_zp);
  if (p->fp32) { /* mode=fast: the GEMM library's fp32 requant (clamped, zp added) */
    const float* fs = qs8_dw_tile_fscale(tile);
    const __m256 flo = _mm256_set1_ps((float)(p->out_min - p->out_zp));
    const __m256 fhi = _mm256_set1_ps((float)(p->out_max - p->out_zp));
    lo = eq_avx2_requant_fp32(lo, fs, flo, fhi, zp);
    hi = eq_avx2_requant_fp32(hi, fs + 8, flo, fhi, zp);
  } else {
    const int32_t* mult = qs8_dw_tile_mult(tile);
    const int32_t* shift = qs8_dw_tile_shift(tile);
    lo = eq_avx2_mbqm_double(lo, _mm256_load_si256((const __m256i*)mult), _mm256_load_si256((const __m256i*)shift));
    hi = eq_avx2_mbqm_double(hi, _mm256_load_si256((const __m256i*)(mult + 8)),
                              _mm256_load_si256((const __m256i*)(shift + 8)));
    const __m256i vmin = _mm256_set1_epi32(p->out_min), vmax = _mm256_set1_epi32(p->out_max);
    lo = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(lo, zp), vmin), vmax);
    hi = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(hi, zp), vmin), vmax);
  }
  /* clamped values fit int8, so the saturating packs only narrow */
  const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
  if (n == QS8_DW_CT) {
    _mm_storeu_si128((__m128i*)(out + c0), b);
  } else {
    int8_t tmp[QS8_DW_CT];
    _mm_storeu_si128((__m128i*)tmp, b);
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

void qs8_dwconv_16c_avx2(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  if (taps == 9) /* 3x3: constant trip count, unrolled */
    pixels_loop(channels, 9, pixels, ind, packed, out, out_stride, p);
  else
    pixels_loop(channels, taps, pixels, ind, packed, out, out_stride, p);
}
