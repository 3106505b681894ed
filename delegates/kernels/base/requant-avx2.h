/* The requantization of base/requant.h on 8 int32 lanes, bit-exact with eq_mbqm, eq_mbqm_single
 * and eq_requant_fp32. Include from files compiled with -mavx2. */
#ifndef EDGEQ_KERNELS_REQUANT_AVX2_H
#define EDGEQ_KERNELS_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* Double rounding: the doubling high multiply is done in 64-bit lanes, (x*m + 2^30) >> 31, with
 * the INT32_MIN^2 case saturated; the right shift uses RoundingDivideByPOT's
 * remainder/threshold test. */
static inline __m256i eq_avx2_mbqm_double(__m256i x, __m256i mult, __m256i shift) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
  const __m256i int_min = _mm256_set1_epi32(INT32_MIN);
  const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i ls = _mm256_max_epi32(shift, zero);
  const __m256i rs = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  x = _mm256_sllv_epi32(x, ls);
  const __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, mult), nudge);
  const __m256i po = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)), nudge);
  /* bits 31..62 of each 64-bit sum: even lanes shifted down, odd lanes shifted into the top */
  __m256i r = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
  /* INT32_MIN * INT32_MIN saturates to INT32_MAX (the wrapped result is INT32_MIN) */
  const __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(x, int_min),
                                       _mm256_cmpeq_epi32(mult, int_min));
  r = _mm256_xor_si256(r, sat);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, rs), one);
  const __m256i rem = _mm256_and_si256(r, mask);
  const __m256i thr = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_srli_epi32(r, 31));
  return _mm256_sub_epi32(_mm256_srav_epi32(r, rs), _mm256_cmpgt_epi32(rem, thr));
}

/* (prod + 2^(t-1)) >> t on int64 lanes. AVX2 has no 64-bit arithmetic shift, so it is built from
 * a logical one with the sign-flip identity sra(v, t) = (srl(v, t) ^ k) - k, k = srl(2^63, t). */
static inline __m256i eq_avx2_round_shift64(__m256i prod, __m256i t) {
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i sum = _mm256_add_epi64(prod, _mm256_sllv_epi64(one, _mm256_sub_epi64(t, one)));
  const __m256i k = _mm256_srlv_epi64(_mm256_set1_epi64x(INT64_MIN), t);
  return _mm256_sub_epi64(_mm256_xor_si256(_mm256_srlv_epi64(sum, t), k), k);
}

/* Single rounding: (x * m + 2^(t-1)) >> t, t = 31 - shift, on even and odd lanes separately. */
static inline __m256i eq_avx2_mbqm_single(__m256i x, __m256i mult, __m256i shift) {
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFF);
  const __m256i t = _mm256_sub_epi32(_mm256_set1_epi32(31), shift);
  const __m256i even = eq_avx2_round_shift64(_mm256_mul_epi32(x, mult), _mm256_and_si256(t, low32));
  const __m256i odd = eq_avx2_round_shift64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)),
      _mm256_srli_epi64(t, 32));
  /* low 32 bits of each 64-bit result (int32 narrowing), back into lane order */
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/* mode=fast (fp32) requantization on 8 lanes: the same IEEE operations as eq_requant_fp32 (cvtps rounds
 * half to even under the default MXCSR); returns clamped values with the zero point added. */
static inline __m256i eq_avx2_requant_fp32(__m256i acc, const float* scale, __m256 lo, __m256 hi,
                                            __m256i zp) {
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale));
  v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
}

#endif
