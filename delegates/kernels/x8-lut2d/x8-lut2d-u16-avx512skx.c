/* AVX-512 two-input lookup: 16 indices (a << 8 | b, zero-extended bytes) per step, one dword
 * gather at byte granularity, the low byte of each dword kept. Masked tails. Compiled with
 * -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "x8-lut2d/x8-lut2d.h"

static inline __m128i look16(__m128i a8, __m128i b8, const int8_t* table) {
  const __m512i idx = _mm512_or_si512(_mm512_slli_epi32(_mm512_cvtepu8_epi32(a8), 8), _mm512_cvtepu8_epi32(b8));
  return _mm512_cvtepi32_epi8(_mm512_i32gather_epi32(idx, (const void*)table, 1));
}

void x8_lut2d_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), look16(_mm_loadu_si128((const __m128i*)(a + i)),
                                                 _mm_loadu_si128((const __m128i*)(b + i)), table));
  if (i < n) { /* masked lanes read index 0: a table entry, never memory past the inputs */
    const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(out + i, k, look16(_mm_maskz_loadu_epi8(k, a + i), _mm_maskz_loadu_epi8(k, b + i), table));
  }
}
