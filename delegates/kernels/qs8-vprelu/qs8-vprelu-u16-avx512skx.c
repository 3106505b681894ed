/* AVX-512 PRELU: 16 elements per step in one zmm of int32 lanes. As the AVX2 variant, a compare
 * mask picks each lane's factor (alpha - alpha_zp, or 1 where x >= x_zp), multiplier and shift
 * constants (eq_avx512_mbqm_double's, computed per branch once per call), so both branches share
 * one exact product and one double rounding; zero point added and clamped in int32, then a
 * saturating narrow to int8 (vpmovsdb). Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx512.h"
#include "qs8-vprelu/qs8-vprelu.h"

typedef struct {
  __m512i x_off, a_off, one, zp, lo, hi;
  __m512i m[2], ls[2], rs[2], mask[2], half[2]; /* [0] x' >= 0, [1] x' < 0 */
  __mmask16 any_ls;
} consts;

static inline __m128i prelu16(__m128i x8, __m128i a8, const consts* c) {
  const __m512i x = _mm512_add_epi32(_mm512_cvtepi8_epi32(x8), c->x_off);
  const __mmask16 neg = _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512());
  const __m512i k = _mm512_mask_add_epi32(c->one, neg, _mm512_cvtepi8_epi32(a8), c->a_off);
  const __m512i m = _mm512_mask_blend_epi32(neg, c->m[0], c->m[1]);
  const __m512i r = eq_avx512_mbqm_double(_mm512_mullo_epi32(x, k), m, _mm512_srli_epi64(m, 32),
                                          _mm512_mask_blend_epi32(neg, c->ls[0], c->ls[1]),
                                          _mm512_mask_blend_epi32(neg, c->rs[0], c->rs[1]),
                                          _mm512_mask_blend_epi32(neg, c->mask[0], c->mask[1]),
                                          _mm512_mask_blend_epi32(neg, c->half[0], c->half[1]), c->any_ls, 0);
  return _mm512_cvtsepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, c->zp), c->lo), c->hi));
}

void qs8_vprelu_u16_avx512skx(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out,
                              const qs8_prelu_params* p) {
  consts c;
  c.x_off = _mm512_set1_epi32(p->x_offset);
  c.a_off = _mm512_set1_epi32(p->alpha_offset);
  c.one = _mm512_set1_epi32(1);
  c.zp = _mm512_set1_epi32(p->out_zp);
  c.lo = _mm512_set1_epi32(-128);
  c.hi = _mm512_set1_epi32(127);
  const int32_t mult[2] = {p->mult_pos, p->mult_neg}, shift[2] = {p->shift_pos, p->shift_neg};
  for (int b = 0; b < 2; ++b) {
    const int32_t ls = shift[b] > 0 ? shift[b] : 0, rs = shift[b] < 0 ? -shift[b] : 0;
    const int32_t mask = (int32_t)((UINT64_C(1) << rs) - 1);
    c.m[b] = _mm512_set1_epi32(mult[b]);
    c.ls[b] = _mm512_set1_epi32(ls);
    c.rs[b] = _mm512_set1_epi32(rs);
    c.mask[b] = _mm512_set1_epi32(mask);
    c.half[b] = _mm512_set1_epi32(mask >> 1);
  }
  c.any_ls = p->shift_pos > 0 || p->shift_neg > 0 ? 0xFFFF : 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), prelu16(_mm_loadu_si128((const __m128i*)(x + i)),
                                                  _mm_loadu_si128((const __m128i*)(alpha + i)), &c));
  if (i < n) { /* tail: masked loads and store never touch memory past the tensors */
    const __mmask16 t = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(out + i, t, prelu16(_mm_maskz_loadu_epi8(t, x + i), _mm_maskz_loadu_epi8(t, alpha + i), &c));
  }
}
