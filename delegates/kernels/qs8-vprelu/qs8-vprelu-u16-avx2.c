/* AVX2 PRELU: 16 elements per step in two halves of 8 int32 lanes. Each lane picks its branch's
 * factor (alpha - alpha_zp, or 1 where x >= x_zp), multiplier and shift with one compare, so both
 * branches share one exact int32 product and one double-rounding requantization
 * (eq_avx2_mbqm_double takes per-lane multipliers and shifts); zero point added and clamped in
 * int32 as the reference does, then the saturating packs only narrow. Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx2.h"
#include "qs8-vprelu/qs8-vprelu.h"

typedef struct {
  __m256i x_off, a_off, one, m_pos, m_neg, s_pos, s_neg, zp, lo, hi;
} consts;

static inline __m256i prelu8(__m128i x8, __m128i a8, const consts* c) {
  const __m256i x = _mm256_add_epi32(_mm256_cvtepi8_epi32(x8), c->x_off);
  const __m256i neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), x); /* x' < 0 */
  const __m256i k = _mm256_blendv_epi8(c->one, _mm256_add_epi32(_mm256_cvtepi8_epi32(a8), c->a_off), neg);
  const __m256i m = _mm256_blendv_epi8(c->m_pos, c->m_neg, neg), s = _mm256_blendv_epi8(c->s_pos, c->s_neg, neg);
  const __m256i r = _mm256_add_epi32(eq_avx2_mbqm_double(_mm256_mullo_epi32(x, k), m, s), c->zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, c->lo), c->hi);
}

static inline __m128i prelu16(__m128i x, __m128i a, const consts* c) {
  const __m256i r0 = prelu8(x, a, c), r1 = prelu8(_mm_srli_si128(x, 8), _mm_srli_si128(a, 8), c);
  const __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(r0), _mm256_extracti128_si256(r0, 1));
  const __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(r1), _mm256_extracti128_si256(r1, 1));
  return _mm_packs_epi16(w0, w1);
}

void qs8_vprelu_u16_avx2(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p) {
  const consts c = {_mm256_set1_epi32(p->x_offset), _mm256_set1_epi32(p->alpha_offset), _mm256_set1_epi32(1),
                    _mm256_set1_epi32(p->mult_pos), _mm256_set1_epi32(p->mult_neg),     _mm256_set1_epi32(p->shift_pos),
                    _mm256_set1_epi32(p->shift_neg), _mm256_set1_epi32(p->out_zp),      _mm256_set1_epi32(-128),
                    _mm256_set1_epi32(127)};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), prelu16(_mm_loadu_si128((const __m128i*)(x + i)),
                                                  _mm_loadu_si128((const __m128i*)(alpha + i)), &c));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t tx[16] = {0}, ta[16] = {0}, to[16];
    memcpy(tx, x + i, n - i);
    memcpy(ta, alpha + i, n - i);
    _mm_storeu_si128((__m128i*)to, prelu16(_mm_loadu_si128((const __m128i*)tx), _mm_loadu_si128((const __m128i*)ta), &c));
    memcpy(out + i, to, n - i);
  }
}
