/* GEMM tile requantization for the AVX2 kernels: channels of one output row from the tile's
 * parameters (rounding variant, multipliers, shifts, clamp), stored as int8. Include from files
 * compiled with -mavx2. */
#ifndef EDGEQ_QS8_GEMM_REQUANT_AVX2_H
#define EDGEQ_QS8_GEMM_REQUANT_AVX2_H

#include <immintrin.h>

#include "base/requant-avx2.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

static inline __m256i qs8_avx2_mbqm(__m256i x, const qs8_tile_params* p, size_t j) {
  const __m256i mult = _mm256_loadu_si256((const __m256i*)(p->mult + j));
  const __m256i shift = _mm256_loadu_si256((const __m256i*)(p->shift + j));
  return p->rounding == QS8_ROUNDING_SINGLE ? eq_avx2_mbqm_single(x, mult, shift)
                            : eq_avx2_mbqm_double(x, mult, shift);
}

/* Requantizes channels 0..7 (lo) and 8..15 (hi) of one row and stores 16 int8 outputs. */
static inline void qs8_avx2_store16(__m256i lo, __m256i hi, const qs8_tile_params* p, int8_t* c) {
  const __m256i zp = _mm256_set1_epi32(p->c_zp);
  if (p->rounding == QS8_REQUANT_FP32) {
    const __m256 flo = _mm256_set1_ps((float)(p->c_min - p->c_zp));
    const __m256 fhi = _mm256_set1_ps((float)(p->c_max - p->c_zp));
    lo = eq_avx2_requant_fp32(lo, p->scale, flo, fhi, zp);
    hi = eq_avx2_requant_fp32(hi, p->scale + 8, flo, fhi, zp);
  } else {
    const __m256i vmin = _mm256_set1_epi32(p->c_min), vmax = _mm256_set1_epi32(p->c_max);
    lo = qs8_avx2_mbqm(lo, p, 0);
    hi = qs8_avx2_mbqm(hi, p, 8);
    lo = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(lo, zp), vmin), vmax);
    hi = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(hi, zp), vmin), vmax);
  }
  /* values now fit int8, so the saturating packs are plain narrowing */
  const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
  _mm_storeu_si128((__m128i*)c, b);
}

#endif
