/* AVX-512 requantization + store of a 16-channel row in one zmm, bit-exact with qs8_requantize()
 * in both rounding variants (the AVX2 version handles 8 lanes per step; this halves the
 * per-output requant cost of the AVX-512 VNNI kernels). Include from files compiled with
 * -mavx512f -mavx512bw -mavx512vl. */
#ifndef EDGEQ_QS8_REQUANT_AVX512_H
#define EDGEQ_QS8_REQUANT_AVX512_H

#include <immintrin.h>

#include "qs8-gemm/qs8-gemm-ukernel.h"

/* Per-tile requantization constants, computed once per kernel call and shared by its rows
 * (the int8 output stores would otherwise force reloading and recomputing them per row). */
typedef struct {
  __m512i mult, mult_odd, ls, rs, mask, half, zp, vmin, vmax;
  __mmask16 mult_is_min; /* lanes whose multiplier is INT32_MIN (saturation possible) */
  __mmask16 any_ls;      /* lanes with a left shift; usually none (multipliers below 1) */
  int rounding;          /* qs8_rounding */
  __m512 scale, flo, fhi; /* QS8_REQUANT_FP32: per-channel scale, clamp bounds minus zp */
  __m512i t_even, t_odd, round_even, round_odd; /* single rounding: shift and 2^(t-1) per 64-bit lane */
} qs8_avx512_rq;

static inline qs8_avx512_rq qs8_avx512_rq_load(const qs8_tile_params* p) {
  qs8_avx512_rq q;
  q.rounding = p->rounding;
  q.zp = _mm512_set1_epi32(p->c_zp);
  if (p->rounding == QS8_REQUANT_FP32) { /* only these are read on the fp32 path */
    q.scale = _mm512_loadu_ps(p->scale);
    q.flo = _mm512_set1_ps((float)(p->c_min - p->c_zp));
    q.fhi = _mm512_set1_ps((float)(p->c_max - p->c_zp));
    return q;
  }
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
  const __m512i shift = _mm512_loadu_si512(p->shift);
  q.mult = _mm512_loadu_si512(p->mult);
  q.mult_odd = _mm512_srli_epi64(q.mult, 32);
  q.vmin = _mm512_set1_epi32(p->c_min);
  q.vmax = _mm512_set1_epi32(p->c_max);
  if (p->rounding == QS8_ROUNDING_DOUBLE) { /* only the constants this variant reads */
    q.ls = _mm512_max_epi32(shift, zero);
    q.rs = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
    q.mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, q.rs), one);
    q.half = _mm512_srli_epi32(q.mask, 1);
    q.mult_is_min = _mm512_cmpeq_epi32_mask(q.mult, _mm512_set1_epi32(INT32_MIN));
    q.any_ls = _mm512_test_epi32_mask(q.ls, q.ls);
    return q;
  }
  const __m512i one64 = _mm512_set1_epi64(1);
  const __m512i t = _mm512_sub_epi32(_mm512_set1_epi32(31), shift);
  q.t_even = _mm512_and_si512(t, _mm512_set1_epi64(0xFFFFFFFF));
  q.t_odd = _mm512_srli_epi64(t, 32);
  q.round_even = _mm512_sllv_epi64(one64, _mm512_sub_epi64(q.t_even, one64));
  q.round_odd = _mm512_sllv_epi64(one64, _mm512_sub_epi64(q.t_odd, one64));
  return q;
}

/* Double rounding: (x*m + 2^30) >> 31 on 64-bit products (bits 31..62 of even and odd lane
 * products), INT32_MIN^2 saturated, then RoundingDivideByPOT's remainder/threshold test. */
static inline __m512i qs8_avx512_mbqm_double_rq(__m512i x, const qs8_avx512_rq* q) {
  const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
  /* the tile-wide flags skip steps that are identities for every lane of this tile (the
   * branches go the same way for all rows of a tile, so they predict well) */
  if (q->any_ls) x = _mm512_sllv_epi32(x, q->ls);
  const __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, q->mult), nudge);
  const __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), q->mult_odd), nudge);
  __m512i r = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 31), _mm512_slli_epi64(po, 1));
  if (q->mult_is_min) {
    const __mmask16 sat = _mm512_mask_cmpeq_epi32_mask(q->mult_is_min, x, _mm512_set1_epi32(INT32_MIN));
    r = _mm512_mask_mov_epi32(r, sat, _mm512_set1_epi32(INT32_MAX));
  }
  const __m512i rem = _mm512_and_si512(r, q->mask);
  const __m512i thr = _mm512_add_epi32(q->half, _mm512_srli_epi32(r, 31));
  const __m512i res = _mm512_srav_epi32(r, q->rs);
  return _mm512_mask_add_epi32(res, _mm512_cmpgt_epi32_mask(rem, thr), res, _mm512_set1_epi32(1));
}

/* Single rounding: (x * m + 2^(t-1)) >> t, t = 31 - shift, with AVX-512's 64-bit arithmetic
 * shift; the low 32 bits of each result are kept (TFLite's narrowing cast). */
static inline __m512i qs8_avx512_mbqm_single_rq(__m512i x, const qs8_avx512_rq* q) {
  const __m512i pe = _mm512_mul_epi32(x, q->mult);
  const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), q->mult_odd);
  const __m512i re = _mm512_srav_epi64(_mm512_add_epi64(pe, q->round_even), q->t_even);
  const __m512i ro = _mm512_srav_epi64(_mm512_add_epi64(po, q->round_odd), q->t_odd);
  return _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
}

/* Requantizes the 16 channels of one row and stores 16 int8 outputs. */
static inline void qs8_avx512_store16_rq(__m512i acc, const qs8_avx512_rq* q, int8_t* c) {
  __m512i r;
  if (q->rounding == QS8_REQUANT_FP32) { /* same IEEE ops as qs8_requantize_fp32 */
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), q->scale);
    v = _mm512_min_ps(_mm512_max_ps(v, q->flo), q->fhi);
    r = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), q->zp);
    _mm_storeu_si128((__m128i*)c, _mm512_cvtepi32_epi8(r));
    return;
  }
  r = q->rounding == QS8_ROUNDING_SINGLE ? qs8_avx512_mbqm_single_rq(acc, q) : qs8_avx512_mbqm_double_rq(acc, q);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, q->zp), q->vmin), q->vmax);
  _mm_storeu_si128((__m128i*)c, _mm512_cvtepi32_epi8(r)); /* clamped: plain narrowing */
}

#endif
