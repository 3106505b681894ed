/* AVX2 MUL: 16 elements per step in two halves of 8 int32 lanes; the products (|x| <= 255 * 255)
 * are exact in int32, requantized with the GEMM kernels' double rounding (eq_avx2_mbqm_double).
 * Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx2.h"
#include "qs8-vmul/qs8-vmul.h"

typedef struct {
  __m256i a_off, b_off, mult, shift, zp, lo, hi;
} consts;

static inline __m256i mul8(__m128i a8, __m128i b8, const consts* c) {
  const __m256i x = _mm256_add_epi32(_mm256_cvtepi8_epi32(a8), c->a_off);
  const __m256i y = _mm256_add_epi32(_mm256_cvtepi8_epi32(b8), c->b_off);
  const __m256i r = _mm256_add_epi32(eq_avx2_mbqm_double(_mm256_mullo_epi32(x, y), c->mult, c->shift), c->zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, c->lo), c->hi);
}

static inline __m128i mul16(__m128i a, __m128i b, const consts* c) {
  const __m256i r0 = mul8(a, b, c), r1 = mul8(_mm_srli_si128(a, 8), _mm_srli_si128(b, 8), c);
  /* clamped to int8 range: the saturating packs only narrow */
  const __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(r0), _mm256_extracti128_si256(r0, 1));
  const __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(r1), _mm256_extracti128_si256(r1, 1));
  return _mm_packs_epi16(w0, w1);
}

void qs8_vmul_u16_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  const consts c = {_mm256_set1_epi32(p->a_offset), _mm256_set1_epi32(p->b_offset), _mm256_set1_epi32(p->mult),
                    _mm256_set1_epi32(p->shift),    _mm256_set1_epi32(p->out_zp),   _mm256_set1_epi32(p->out_min),
                    _mm256_set1_epi32(p->out_max)};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), mul16(_mm_loadu_si128((const __m128i*)(a + i)),
                                                _mm_loadu_si128((const __m128i*)(b + i)), &c));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t ta[16] = {0}, tb[16] = {0}, to[16];
    memcpy(ta, a + i, n - i);
    memcpy(tb, b + i, n - i);
    _mm_storeu_si128((__m128i*)to, mul16(_mm_loadu_si128((const __m128i*)ta), _mm_loadu_si128((const __m128i*)tb), &c));
    memcpy(out + i, to, n - i);
  }
}
