/* AVX-512 MUL: 16 elements per step; the products (|x| <= 255 * 255) are exact in int32,
 * requantized with base/requant-avx512.h's double rounding (left shifts included). Masked tails.
 * Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>
#include <math.h>

#include "base/fast-exact.h"
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

/* Right shifts (rs = -shift >= 1) and a positive multiplier: the double rounding of P = x * y is exactly
 * floor(V + c) with the real V = P * m * 2^-(31+rs) and c = 1/2 + 2^-(rs+1) (P >= 0) or 1/2 - 2^-(rs+1) (P < 0)
 * (base/requant-avx512.h's fused form divided by 2^(31+rs)). P is exact in fp32 (|P| <= 255^2), so
 * y = fma(P, M', c + zp) is within 2^-13 of V + c + zp wherever |y| < 2^9 (M' and the fma round by 2^-24
 * relatively, c + zp by at most 2^-17): away from integers it floors to the exact output. y is clamped to
 * [lo + 1/2, hi + 1/2] first (bounds that are no integers: floor gives the exact output's clamp); a 64-element
 * chunk with a lane within 2^-12 of an integer is redone exactly, and a call that redoes more than a quarter
 * of its chunks finishes exactly. */
typedef struct {
  __m512i a_off, b_off;
  __m512 m, cpos, cneg, lo5, hi5, thr;
} fast_consts;

static inline __m128i mul16_fast(const int8_t* a, const int8_t* b, const fast_consts* f, __mmask16* near) {
  const __m512i x = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)a)), f->a_off);
  const __m512i y = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)b)), f->b_off);
  const __m512i prod = _mm512_mullo_epi32(x, y);
  const __mmask16 neg = _mm512_cmplt_epi32_mask(prod, _mm512_setzero_si512());
  __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(prod), f->m, _mm512_mask_blend_ps(neg, f->cpos, f->cneg));
  v = _mm512_min_ps(_mm512_max_ps(v, f->lo5), f->hi5);
  const __m512 fl = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 d = _mm512_abs_ps(_mm512_sub_ps(_mm512_sub_ps(v, fl), _mm512_set1_ps(0.5f)));
  *near = _mm512_cmp_ps_mask(d, f->thr, _CMP_GT_OQ);
  return _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(fl));
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
  if (n >= EQ_FAST_EXACT_CHUNK && qs8_mul_fp32_form(p)) {
    const int rs = -p->shift;
    const float h = ldexpf(1.0f, -(rs + 1)), zp5 = (float)p->out_zp + 0.5f;
    const fast_consts f = {_mm512_set1_epi32(p->a_offset), _mm512_set1_epi32(p->b_offset),
                           _mm512_set1_ps((float)ldexp((double)p->mult, -(31 + rs))), _mm512_set1_ps(zp5 + h),
                           _mm512_set1_ps(zp5 - h), _mm512_set1_ps((float)p->out_min + 0.5f),
                           _mm512_set1_ps((float)p->out_max + 0.5f), _mm512_set1_ps(0.5f - 0x1p-12f)};
#define FAST(k, t) mul16_fast(a + (k), b + (k), &f, (t))
#define EXACT(k) mul16(_mm_loadu_si128((const __m128i*)(a + (k))), _mm_loadu_si128((const __m128i*)(b + (k))), &c)
    EQ_FAST_EXACT_CHUNKS(i, n, out, __mmask16, FAST, EXACT);
#undef FAST
#undef EXACT
  }
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), mul16(_mm_loadu_si128((const __m128i*)(a + i)),
                                                _mm_loadu_si128((const __m128i*)(b + i)), &c));
  if (i < n) { /* masked lanes are neither read nor written */
    const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(out + i, k, mul16(_mm_maskz_loadu_epi8(k, a + i), _mm_maskz_loadu_epi8(k, b + i), &c));
  }
}
