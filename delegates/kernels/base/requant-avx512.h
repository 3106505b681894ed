/* The requantization of base/requant.h on 16 int32 lanes (one zmm), bit-exact with eq_mbqm,
 * eq_mbqm_single and eq_requant_fp32. The integer variants take per-lane constants that callers
 * compute once and reuse across many rows (the GEMM per tile and call, the depthwise kernel at
 * weight-packing time). Include from files compiled with -mavx512f -mavx512bw -mavx512vl. */
#ifndef EDGEQ_KERNELS_REQUANT_AVX512_H
#define EDGEQ_KERNELS_REQUANT_AVX512_H

#include <immintrin.h>
#include <stdint.h>

/* Double rounding: (x*m + 2^30) >> 31 on 64-bit products (bits 31..62 of even and odd lane
 * products), INT32_MIN^2 saturated, then RoundingDivideByPOT's remainder/threshold test.
 * Constants: mult; mult_odd = mult >> 32 (64-bit lanes); ls = max(shift, 0); rs = max(-shift, 0);
 * mask = 2^rs - 1; half = mask >> 1. any_ls: lanes with a left shift; mult_is_min: lanes whose
 * multiplier is INT32_MIN. Both usually select no lane, and then their step is skipped (the
 * branches go the same way for all rows that share the constants, so they predict well). */
static inline __m512i eq_avx512_mbqm_double(__m512i x, __m512i mult, __m512i mult_odd, __m512i ls, __m512i rs,
                                            __m512i mask, __m512i half, __mmask16 any_ls, __mmask16 mult_is_min) {
  const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
  if (any_ls) x = _mm512_sllv_epi32(x, ls);
  const __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, mult), nudge);
  const __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), mult_odd), nudge);
  __m512i r = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 31), _mm512_slli_epi64(po, 1));
  if (mult_is_min) {
    const __mmask16 sat = _mm512_mask_cmpeq_epi32_mask(mult_is_min, x, _mm512_set1_epi32(INT32_MIN));
    r = _mm512_mask_mov_epi32(r, sat, _mm512_set1_epi32(INT32_MAX));
  }
  const __m512i rem = _mm512_and_si512(r, mask);
  const __m512i thr = _mm512_add_epi32(half, _mm512_srli_epi32(r, 31));
  const __m512i res = _mm512_srav_epi32(r, rs);
  return _mm512_mask_add_epi32(res, _mm512_cmpgt_epi32_mask(rem, thr), res, _mm512_set1_epi32(1));
}

/* Double rounding when every shift is negative (rs = -shift in [1, 31]) and no multiplier is
 * INT32_MIN, in one 64-bit step per product p = x * m:
 *   SRDHM = floor((p + 2^30) / 2^31), and RoundingDivideByPOT(q, rs) = floor((q + 2^(rs-1) - [q < 0]) / 2^rs),
 * and floor(floor(u / a) / b) = floor(u / (a b)), so the result is
 *   (p + 2^30 + 2^(30+rs) - 2^31 [p < 0]) >> (31 + rs)
 * ([p < 0] may stand for [q < 0]: for -2^30 <= p < 0 both forms give 0 when rs >= 1). |p| < 2^62, so
 * nothing overflows. Constants: k = 2^30 + 2^(30+rs) per 64-bit lane (even / odd channels), s_even =
 * 31 + rs, s_odd = rs - 1 (the odd result is taken from bits 32..63 of p' >> (rs - 1)), corr = 2^31. */
static inline __m512i eq_avx512_mbqm_double_right(__m512i x, __m512i mult, __m512i mult_odd, __m512i k_even,
                                                  __m512i k_odd, __m512i s_even, __m512i s_odd, __m512i corr) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i pe = _mm512_mul_epi32(x, mult);
  const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), mult_odd);
  __m512i te = _mm512_add_epi64(pe, k_even), to = _mm512_add_epi64(po, k_odd);
  te = _mm512_mask_sub_epi64(te, _mm512_cmplt_epi64_mask(pe, zero), te, corr);
  to = _mm512_mask_sub_epi64(to, _mm512_cmplt_epi64_mask(po, zero), to, corr);
  return _mm512_mask_blend_epi32(0xAAAA, _mm512_srav_epi64(te, s_even), _mm512_srav_epi64(to, s_odd));
}

/* Single rounding: (x * m + 2^(t-1)) >> t, t = 31 - shift, with AVX-512's 64-bit arithmetic
 * shift; the low 32 bits of each result are kept (TFLite's narrowing cast). Constants: t and
 * 2^(t-1) of the even and odd lanes, in 64-bit lanes. */
static inline __m512i eq_avx512_mbqm_single(__m512i x, __m512i mult, __m512i mult_odd, __m512i t_even,
                                            __m512i t_odd, __m512i round_even, __m512i round_odd) {
  const __m512i pe = _mm512_mul_epi32(x, mult);
  const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), mult_odd);
  const __m512i re = _mm512_srav_epi64(_mm512_add_epi64(pe, round_even), t_even);
  const __m512i ro = _mm512_srav_epi64(_mm512_add_epi64(po, round_odd), t_odd);
  return _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
}

/* mode=fast (fp32) requantization: the same IEEE operations as eq_requant_fp32 (round to
 * nearest even); flo / fhi are the clamp bounds minus the zero point; the result has the zero
 * point added. */
static inline __m512i eq_avx512_requant_fp32(__m512i acc, __m512 scale, __m512 flo, __m512 fhi, __m512i zp) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
  v = _mm512_min_ps(_mm512_max_ps(v, flo), fhi);
  return _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
}

#endif /* EDGEQ_KERNELS_REQUANT_AVX512_H */
