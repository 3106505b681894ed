/* AVX-512 MUL: 16 elements per step; the products (|x| <= 255 * 255) are exact in int32,
 * requantized with base/requant-avx512.h's double rounding (left shifts included). Masked tails.
 * Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "base/requant-avx512.h"
#include "qs8-vmul/qs8-vmul.h"

typedef struct {
  __m512i a_off, b_off, mult, ls, rs, mask, half, zp, lo, hi;
  __mmask16 any_ls, mult_is_min;
} consts;

static inline __m128i mul16(__m128i a8, __m128i b8, const consts* c) {
  const __m512i x = _mm512_add_epi32(_mm512_cvtepi8_epi32(a8), c->a_off);
  const __m512i y = _mm512_add_epi32(_mm512_cvtepi8_epi32(b8), c->b_off);
  __m512i r = eq_avx512_mbqm_double(_mm512_mullo_epi32(x, y), c->mult, c->mult, c->ls, c->rs, c->mask, c->half,
                                    c->any_ls, c->mult_is_min);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, c->zp), c->lo), c->hi);
  return _mm512_cvtepi32_epi8(r); /* clamped to int8 range: truncation is exact */
}

void qs8_vmul_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  const int32_t ls = p->shift > 0 ? p->shift : 0, rs = p->shift > 0 ? 0 : -p->shift;
  const consts c = {_mm512_set1_epi32(p->a_offset), _mm512_set1_epi32(p->b_offset), _mm512_set1_epi32(p->mult),
                    _mm512_set1_epi32(ls), _mm512_set1_epi32(rs),
                    _mm512_set1_epi32((int32_t)((UINT32_C(1) << rs) - 1)),
                    _mm512_set1_epi32((int32_t)(((UINT32_C(1) << rs) - 1) >> 1)),
                    _mm512_set1_epi32(p->out_zp), _mm512_set1_epi32(p->out_min), _mm512_set1_epi32(p->out_max),
                    (__mmask16)(ls ? 0xFFFF : 0), (__mmask16)(p->mult == INT32_MIN ? 0xFFFF : 0)};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), mul16(_mm_loadu_si128((const __m128i*)(a + i)),
                                                _mm_loadu_si128((const __m128i*)(b + i)), &c));
  if (i < n) { /* masked lanes are neither read nor written */
    const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(out + i, k, mul16(_mm_maskz_loadu_epi8(k, a + i), _mm_maskz_loadu_epi8(k, b + i), &c));
  }
}
