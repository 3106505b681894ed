/* AVX-512 MAX_POOL_2D micro-kernel: 64 channels per step (vpmaxsb over the taps, then the clamp),
 * masked loads and stores for the last channels. Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "s8-maxpool/s8-maxpool-taps.h"

void s8_maxpool_taps_c64_avx512skx(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                                   int8_t hi) {
  const __m512i vlo = _mm512_set1_epi8(lo), vhi = _mm512_set1_epi8(hi);
  for (size_t c = 0; c < channels; c += 64) {
    const __mmask64 k = channels - c >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (channels - c)) - 1);
    __m512i m = _mm512_maskz_loadu_epi8(k, rows[0] + c);
    for (size_t t = 1; t < taps; ++t) m = _mm512_max_epi8(m, _mm512_maskz_loadu_epi8(k, rows[t] + c));
    _mm512_mask_storeu_epi8(out + c, k, _mm512_min_epi8(_mm512_max_epi8(m, vlo), vhi));
  }
}
