/* AVX2 two-input lookup: 8 indices (a << 8 | b) per step, one dword gather at byte granularity,
 * the low byte of each dword packed out. Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "x8-lut2d/x8-lut2d.h"

static inline __m128i look8(__m128i a8, __m128i b8, const int8_t* table) {
  const __m256i idx = _mm256_or_si256(_mm256_slli_epi32(_mm256_cvtepu8_epi32(a8), 8), _mm256_cvtepu8_epi32(b8));
  const __m256i g = _mm256_i32gather_epi32((const int*)(const void*)table, idx, 1);
  /* byte 0 of each dword to the low 8 bytes (per 128-bit half), then the halves joined */
  const __m256i lo = _mm256_shuffle_epi8(g, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                              0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
  return _mm_unpacklo_epi32(_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1));
}

void x8_lut2d_u8_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storel_epi64((__m128i*)(out + i), look8(_mm_loadl_epi64((const __m128i*)(a + i)),
                                                _mm_loadl_epi64((const __m128i*)(b + i)), table));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    memcpy(ta, a + i, n - i);
    memcpy(tb, b + i, n - i);
    _mm_storel_epi64((__m128i*)to, look8(_mm_loadl_epi64((const __m128i*)ta), _mm_loadl_epi64((const __m128i*)tb), table));
    memcpy(out + i, to, n - i);
  }
}
