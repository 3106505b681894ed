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

/* qs8_add_fp32_form (qs8-vadd.h) on 8 lanes, without FMA (-mavx2 only): multiplies and adds rounded apart, within
 * the form's error bound. A 32-element chunk with a lane within d of a half-integer is redone exactly; a call
 * that redoes more than a quarter of its chunks finishes exactly. */
typedef struct {
  __m256 ka, kb, zp, lo, hi, thr, abs_mask;
  __m256i za, zb;
} fast20;

static inline __m128i add8_fast(const int8_t* a, const int8_t* b, const fast20* f, int* near_tie) {
  const __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)a)), f->za));
  const __m256 w = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)b)), f->zb));
  __m256 y = _mm256_add_ps(_mm256_mul_ps(w, f->kb), _mm256_add_ps(_mm256_mul_ps(v, f->ka), f->zp));
  y = _mm256_min_ps(_mm256_max_ps(y, f->lo), f->hi);
  const __m256 r = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 dist = _mm256_and_ps(_mm256_sub_ps(y, r), f->abs_mask); /* exact: r is y's nearest integer */
  *near_tie |= _mm256_movemask_ps(_mm256_cmp_ps(dist, f->thr, _CMP_GT_OQ));
  const __m256i q = _mm256_cvtps_epi32(r);
  const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  return _mm_packs_epi16(w16, w16);
}

enum { FAST_CHUNK = 32 };

void qs8_vadd_u8_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  size_t i = 0;
  double ka, kb, d;
  if (n >= FAST_CHUNK && qs8_add_fp32_form(p, &ka, &kb, &d)) {
    const fast20 f = {_mm256_set1_ps((float)ka), _mm256_set1_ps((float)kb), _mm256_set1_ps((float)p->out_zp),
                      _mm256_set1_ps((float)p->out_min), _mm256_set1_ps((float)p->out_max),
                      _mm256_set1_ps((float)(0.5 - d) - 0x1p-20f), _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)),
                      _mm256_set1_epi32(-p->a_offset), _mm256_set1_epi32(-p->b_offset)};
    size_t redone = 0, chunks = 0;
    for (; i + FAST_CHUNK <= n; i += FAST_CHUNK) {
      int t = 0;
      const __m128i r0 = add8_fast(a + i, b + i, &f, &t), r1 = add8_fast(a + i + 8, b + i + 8, &f, &t);
      const __m128i r2 = add8_fast(a + i + 16, b + i + 16, &f, &t), r3 = add8_fast(a + i + 24, b + i + 24, &f, &t);
      ++chunks;
      if (t == 0) {
        _mm_storeu_si128((__m128i*)(out + i), _mm_unpacklo_epi64(r0, r1));
        _mm_storeu_si128((__m128i*)(out + i + 16), _mm_unpacklo_epi64(r2, r3));
        continue;
      }
      for (size_t j = i; j < i + FAST_CHUNK; j += 8)
        _mm_storel_epi64((__m128i*)(out + j),
                         add8(_mm_loadl_epi64((const __m128i*)(a + j)), _mm_loadl_epi64((const __m128i*)(b + j)), p));
      if (++redone >= 8 && redone * 4 > chunks) { /* ties are common here: the exact kernel from now on */
        i += FAST_CHUNK;
        break;
      }
    }
  }
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
