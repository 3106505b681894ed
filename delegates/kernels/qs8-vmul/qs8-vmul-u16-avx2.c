/* AVX2 MUL: 16 elements per step in two halves of 8 int32 lanes; the products (|x| <= 255 * 255)
 * are exact in int32, requantized with the GEMM kernels' double rounding (eq_avx2_mbqm_double).
 * Compiled with -mavx2. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "base/fast-exact.h"
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

/* The AVX-512 kernel's fp32 floor form (qs8-vmul-u16-avx512skx.c) on 8 lanes, without FMA (-mavx2 only): the
 * multiply and the add round apart, three roundings of 2^-24 on values below 2^9 plus c + zp's, still under the
 * 2^-12 boundary band. */
typedef struct {
  __m256i a_off, b_off;
  __m256 m, cpos, cneg, lo5, hi5, thr, half, abs_mask;
} fast_consts;

static inline __m256i mul8_fast(__m128i a8, __m128i b8, const fast_consts* f, int* near) {
  const __m256i x = _mm256_add_epi32(_mm256_cvtepi8_epi32(a8), f->a_off);
  const __m256i y = _mm256_add_epi32(_mm256_cvtepi8_epi32(b8), f->b_off);
  const __m256i prod = _mm256_mullo_epi32(x, y);
  const __m256 c = _mm256_blendv_ps(f->cpos, f->cneg, _mm256_castsi256_ps(prod)); /* by P's sign bit */
  __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(prod), f->m), c);
  v = _mm256_min_ps(_mm256_max_ps(v, f->lo5), f->hi5);
  const __m256 fl = _mm256_floor_ps(v);
  const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_sub_ps(v, fl), f->half), f->abs_mask);
  *near |= _mm256_movemask_ps(_mm256_cmp_ps(d, f->thr, _CMP_GT_OQ));
  return _mm256_cvttps_epi32(fl);
}

static inline __m128i mul16_fast(const int8_t* a, const int8_t* b, const fast_consts* f, int* near) {
  const __m128i va = _mm_loadu_si128((const __m128i*)a), vb = _mm_loadu_si128((const __m128i*)b);
  const __m256i r0 = mul8_fast(va, vb, f, near), r1 = mul8_fast(_mm_srli_si128(va, 8), _mm_srli_si128(vb, 8), f, near);
  const __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(r0), _mm256_extracti128_si256(r0, 1));
  const __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(r1), _mm256_extracti128_si256(r1, 1));
  return _mm_packs_epi16(w0, w1);
}


void qs8_vmul_u16_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_mul_params* p) {
  const consts c = {_mm256_set1_epi32(p->a_offset), _mm256_set1_epi32(p->b_offset), _mm256_set1_epi32(p->mult),
                    _mm256_set1_epi32(p->shift),    _mm256_set1_epi32(p->out_zp),   _mm256_set1_epi32(p->out_min),
                    _mm256_set1_epi32(p->out_max)};
  size_t i = 0;
  if (n >= EQ_FAST_EXACT_CHUNK && qs8_mul_fp32_form(p)) {
    const int rs = -p->shift;
    const float h = ldexpf(1.0f, -(rs + 1)), zp5 = (float)p->out_zp + 0.5f;
    const fast_consts f = {_mm256_set1_epi32(p->a_offset), _mm256_set1_epi32(p->b_offset),
                           _mm256_set1_ps((float)ldexp((double)p->mult, -(31 + rs))), _mm256_set1_ps(zp5 + h),
                           _mm256_set1_ps(zp5 - h), _mm256_set1_ps((float)p->out_min + 0.5f),
                           _mm256_set1_ps((float)p->out_max + 0.5f), _mm256_set1_ps(0.5f - 0x1p-12f),
                           _mm256_set1_ps(0.5f), _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF))};
#define FAST(k, t) mul16_fast(a + (k), b + (k), &f, (t))
#define EXACT(k) mul16(_mm_loadu_si128((const __m128i*)(a + (k))), _mm_loadu_si128((const __m128i*)(b + (k))), &c)
    EQ_FAST_EXACT_CHUNKS(i, n, out, int, FAST, EXACT);
#undef FAST
#undef EXACT
  }
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
