/* GEMM tile requantization for the AVX-512 kernels: the 16 channels of one output row from the
 * tile's parameters (rounding variant, multipliers, shifts, clamp), stored as int8, with the
 * per-lane constants computed once per kernel call and shared by its rows. Include from files
 * compiled with -mavx512f -mavx512bw -mavx512vl. */
#ifndef EDGEQ_QS8_GEMM_REQUANT_AVX512_H
#define EDGEQ_QS8_GEMM_REQUANT_AVX512_H

#include <immintrin.h>

#include "base/requant-avx512.h"
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
  int fused;              /* double rounding, every shift < 0, no INT32_MIN multiplier: one 64-bit step */
  int zp_folded;          /* fused with every shift in [-23, -1]: the zero point is inside k_even / k_odd */
  __m512i k_even, k_odd, s_even, s_odd, corr; /* its constants (eq_avx512_mbqm_double_right) */
  __m128i vmin8, vmax8;   /* clamp bounds as int8 (the outputs are narrowed with saturation first) */
  __mmask16 store;        /* channels stored (p->nc): all 16 but in a plan's last, partial tile */
} qs8_avx512_rq;

static inline qs8_avx512_rq qs8_avx512_rq_load(const qs8_tile_params* p) {
  qs8_avx512_rq q;
  q.rounding = p->rounding;
  q.store = p->nc > 0 && p->nc < 16 ? (__mmask16)((1u << p->nc) - 1) : (__mmask16)0xFFFF;
  q.zp = _mm512_set1_epi32(p->c_zp);
  q.vmin8 = _mm_set1_epi8((char)p->c_min);
  q.vmax8 = _mm_set1_epi8((char)p->c_max);
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
  q.fused = 0;
  q.zp_folded = 0;
  if (p->rounding == QS8_ROUNDING_DOUBLE && p->right_only &&
      !_mm512_cmpeq_epi32_mask(q.mult, _mm512_set1_epi32(INT32_MIN))) {
    /* rs = -shift in [1, 31]: K = 2^30 + 2^(30 + rs); even lanes shift by 31 + rs, odd lanes by
     * rs - 1 (their result is read from the high half of the 64-bit lane) */
    const __m512i rs = _mm512_sub_epi32(zero, shift);
    const __m512i rs_even = _mm512_and_si512(rs, _mm512_set1_epi64(0xFFFFFFFF)), rs_odd = _mm512_srli_epi64(rs, 32);
    const __m512i b30 = _mm512_set1_epi64(INT64_C(1) << 30);
    q.fused = 1;
    q.k_even = _mm512_add_epi64(b30, _mm512_sllv_epi64(b30, rs_even));
    q.k_odd = _mm512_add_epi64(b30, _mm512_sllv_epi64(b30, rs_odd));
    q.s_even = _mm512_add_epi64(rs_even, _mm512_set1_epi64(31));
    q.s_odd = _mm512_sub_epi64(rs_odd, _mm512_set1_epi64(1));
    q.corr = _mm512_set1_epi64(INT64_C(1) << 31);
    /* zero point folded: floor((u + zp * 2^s) / 2^s) = floor(u / 2^s) + zp, s = 31 + rs. The sum stays
     * inside int64 when rs <= 23 (|u| < 2^62 + 2^61, |zp * 2^s| <= 2^61), and adding zp in 64 bits
     * equals TFLite's int32 addition since |result| < 2^(31 - rs) cannot wrap. */
    if (!_mm512_cmpgt_epi32_mask(rs, _mm512_set1_epi32(23))) {
      const __m512i zp64 = _mm512_set1_epi64(p->c_zp);
      q.k_even = _mm512_add_epi64(q.k_even, _mm512_sllv_epi64(zp64, q.s_even));
      /* odd lanes: their result is read from the high half, shifted by rs - 1 = s - 32 */
      q.k_odd = _mm512_add_epi64(q.k_odd, _mm512_sllv_epi64(zp64, _mm512_add_epi64(rs_odd, _mm512_set1_epi64(31))));
      q.zp_folded = 1;
    }
    return q;
  }
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

/* Requantizes the 16 channels of one row to int32 with the zero point added (not yet clamped). */
static inline __m512i qs8_avx512_rq_core(__m512i acc, const qs8_avx512_rq* q) {
  if (q->rounding == QS8_REQUANT_FP32) return eq_avx512_requant_fp32(acc, q->scale, q->flo, q->fhi, q->zp);
  if (q->fused) {
    const __m512i r = eq_avx512_mbqm_double_right(acc, q->mult, q->mult_odd, q->k_even, q->k_odd, q->s_even,
                                                  q->s_odd, q->corr);
    return q->zp_folded ? r : _mm512_add_epi32(r, q->zp);
  }
  /* zero point in int32 (wrapping, as TFLite's int32 arithmetic) */
  const __m512i r = q->rounding == QS8_ROUNDING_SINGLE
                        ? eq_avx512_mbqm_single(acc, q->mult, q->mult_odd, q->t_even, q->t_odd, q->round_even,
                                                q->round_odd)
                        : eq_avx512_mbqm_double(acc, q->mult, q->mult_odd, q->ls, q->rs, q->mask, q->half,
                                                q->any_ls, q->mult_is_min);
  return _mm512_add_epi32(r, q->zp);
}

/* 16 int8 outputs, or the channels of q->store (a plan's last tile, written in place) */
static inline void qs8_avx512_store16(int8_t* c, __m128i v, const qs8_avx512_rq* q) {
  if (q->store == 0xFFFF)
    _mm_storeu_si128((__m128i*)c, v);
  else
    _mm_mask_storeu_epi8(c, q->store, v);
}

/* Requantizes the 16 channels of one row and stores 16 int8 outputs (q->store's). */
static inline void qs8_avx512_store16_rq(__m512i acc, const qs8_avx512_rq* q, int8_t* c) {
  const __m512i r = qs8_avx512_rq_core(acc, q);
  if (q->rounding == QS8_REQUANT_FP32) { /* already clamped */
    qs8_avx512_store16(c, _mm512_cvtepi32_epi8(r), q);
    return;
  }
  /* a saturating narrowing, then the clamp on 16 bytes: the same as clamping in int32 since the
   * bounds lie in [-128, 127] */
  const __m128i b = _mm512_cvtsepi32_epi8(r);
  qs8_avx512_store16(c, _mm_min_epi8(_mm_max_epi8(b, q->vmin8), q->vmax8), q);
}

/* The common case: the fused one-step double rounding with the zero point folded in, all 16 channels
 * stored (a caller that checked qs8_avx512_rq_fast runs its loops without the per-row variant branches) */
static inline int qs8_avx512_rq_fast(const qs8_avx512_rq* q) {
  return q->rounding == QS8_ROUNDING_DOUBLE && q->fused && q->zp_folded && q->store == 0xFFFF; /* fp32: unset */
}

static inline __attribute__((always_inline)) void qs8_avx512_store16_rq_fast(__m512i acc, const qs8_avx512_rq* q,
                                                                            int8_t* c) {
  const __m512i r = eq_avx512_mbqm_double_right(acc, q->mult, q->mult_odd, q->k_even, q->k_odd, q->s_even, q->s_odd,
                                                q->corr);
  const __m128i b = _mm512_cvtsepi32_epi8(r);
  _mm_storeu_si128((__m128i*)c, _mm_min_epi8(_mm_max_epi8(b, q->vmin8), q->vmax8));
}

/* The fast form with q->store's channels only (a plan's last, partial tile taken as a second tile) */
static inline int qs8_avx512_rq_fast_masked(const qs8_avx512_rq* q) {
  return q->rounding == QS8_ROUNDING_DOUBLE && q->fused && q->zp_folded; /* fp32: unset */
}

static inline __attribute__((always_inline)) void qs8_avx512_store16_rq_fast_masked(__m512i acc,
                                                                                   const qs8_avx512_rq* q,
                                                                                   int8_t* c) {
  const __m512i r = eq_avx512_mbqm_double_right(acc, q->mult, q->mult_odd, q->k_even, q->k_odd, q->s_even, q->s_odd,
                                                q->corr);
  const __m128i b = _mm512_cvtsepi32_epi8(r);
  _mm_mask_storeu_epi8(c, q->store, _mm_min_epi8(_mm_max_epi8(b, q->vmin8), q->vmax8));
}

#endif
