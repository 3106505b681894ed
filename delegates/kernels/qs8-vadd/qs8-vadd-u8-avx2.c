/* AVX2 ADD: 8 int32 lanes per step, the double-rounding requant of the GEMM kernels
 * (eq_avx2_mbqm_double with a non-positive shift is MultiplyByQuantizedMultiplier-
 * SmallerThanOneExp). Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx2.h"
#include "qs8-vadd/qs8-vadd.h"

static inline __m128i add8(__m128i a8, __m128i b8, const qs8_add_params* p) {
  const __m256i ls = _mm256_set1_epi32(p->left_shift);
  const __m256i x = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(a8), _mm256_set1_epi32(p->a_offset)), ls);
  const __m256i y = _mm256_sllv_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(b8), _mm256_set1_epi32(p->b_offset)), ls);
  const __m256i sx = eq_avx2_mbqm_double(x, _mm256_set1_epi32(p->a_mult), _mm256_set1_epi32(p->a_shift));
  const __m256i sy = eq_avx2_mbqm_double(y, _mm256_set1_epi32(p->b_mult), _mm256_set1_epi32(p->b_shift));
  __m256i r = eq_avx2_mbqm_double(_mm256_add_epi32(sx, sy), _mm256_set1_epi32(p->out_mult),
                                   _mm256_set1_epi32(p->out_shift));
  r = _mm256_add_epi32(r, _mm256_set1_epi32(p->out_zp));
  r = _mm256_min_epi32(_mm256_max_epi32(r, _mm256_set1_epi32(p->out_min)), _mm256_set1_epi32(p->out_max));
  /* clamped to int8 range: the saturating packs only narrow */
  const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  return _mm_packs_epi16(w16, w16);
}

void qs8_vadd_u8_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storel_epi64((__m128i*)(out + i),
                     add8(_mm_loadl_epi64((const __m128i*)(a + i)), _mm_loadl_epi64((const __m128i*)(b + i)), p));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    memcpy(ta, a + i, n - i);
    memcpy(tb, b + i, n - i);
    _mm_storel_epi64((__m128i*)to, add8(_mm_loadl_epi64((const __m128i*)ta), _mm_loadl_epi64((const __m128i*)tb), p));
    memcpy(out + i, to, n - i);
  }
}
