/* AVX2 MAX_POOL_2D micro-kernel: 32 channels per step (vpmaxsb over the taps, then the clamp); the
 * last channels (< 32) one at a time. Compiled with -mavx2. */
#include <immintrin.h>

#include "s8-maxpool/s8-maxpool-taps.h"

void s8_maxpool_taps_c32_avx2(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                              int8_t hi) {
  const __m256i vlo = _mm256_set1_epi8(lo), vhi = _mm256_set1_epi8(hi);
  size_t c = 0;
  for (; c + 32 <= channels; c += 32) {
    __m256i m = _mm256_loadu_si256((const __m256i*)(rows[0] + c));
    for (size_t t = 1; t < taps; ++t) m = _mm256_max_epi8(m, _mm256_loadu_si256((const __m256i*)(rows[t] + c)));
    _mm256_storeu_si256((__m256i*)(out + c), _mm256_min_epi8(_mm256_max_epi8(m, vlo), vhi));
  }
  for (; c < channels; ++c) {
    int8_t m = rows[0][c];
    for (size_t t = 1; t < taps; ++t) m = rows[t][c] > m ? rows[t][c] : m;
    out[c] = m < lo ? lo : m > hi ? hi : m;
  }
}
