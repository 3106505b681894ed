/* AVX-512 VBMI LUT: the 256-entry table in four zmm registers; VPERMI2B looks up 128 entries by
 * an index's low 7 bits, once in each half of the table, and the index's top bit picks the half
 * (VPMOVB2M + a masked blend). 64 bytes per step, masked tails. Compiled with -mavx512f
 * -mavx512bw -mavx512vl -mavx512vbmi. */
#include <immintrin.h>

#include "x8-lut/x8-lut.h"

static inline __m512i lut64(__m512i x, __m512i t0, __m512i t1, __m512i t2, __m512i t3) {
  const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi);
}

void x8_lut_u64_avx512vbmi(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    const __m512i x0 = _mm512_loadu_si512(input + i), x1 = _mm512_loadu_si512(input + i + 64);
    _mm512_storeu_si512(output + i, lut64(x0, t0, t1, t2, t3));
    _mm512_storeu_si512(output + i + 64, lut64(x1, t0, t1, t2, t3));
  }
  for (; i < n; i += 64) { /* masked lanes are neither read nor written */
    const __mmask64 k = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
    _mm512_mask_storeu_epi8(output + i, k, lut64(_mm512_maskz_loadu_epi8(k, input + i), t0, t1, t2, t3));
  }
}
