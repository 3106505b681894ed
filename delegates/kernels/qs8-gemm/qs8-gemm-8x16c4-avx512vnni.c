/* AVX-512 VNNI kernel, up to 8 rows x 16 channels, int8 weights. vpdpbusd multiplies unsigned
 * activations (a ^ 0x80 = a + 128; the dispatcher folds -128 * sum(W) into the bias) by signed
 * weights and sums 4 products into int32 without intermediate saturation. Eight rows per block
 * means each 64-byte weight load feeds eight vpdpbusd, and the multi-block entry
 * (..._rows) loads the per-tile requantization constants once for all rows of a call: on
 * MobileNet's small-k pointwise convs that setup and the requantization dominate the MACs.
 * Blocks of more than 4 rows already have enough independent accumulators to cover the
 * instruction's latency; smaller ones use two sets (even / odd step quads).
 * The fn table's entries 1-4 also serve the 4-row int4 plans' int8 slot. */
#include <string.h>

#include "qs8-gemm/qs8-gemm-dpbusd.h"
#include "qs8-gemm/qs8-gemm-requant-avx512.h"

/* Four activation bytes of a row broadcast to every lane, as vpdpbusd's unsigned operand: rows packed by
 * the dispatcher hold a ^ 0x80 already; rows read in place (flip, the caller's int8 rows) are flipped
 * here, an xor whose broadcast load folds into it (vpxord zmm, zmm, m32bcst) */
static inline __attribute__((always_inline)) __m512i qs8_bcast4(const uint8_t* p, const int flip) {
  int32_t q;
  memcpy(&q, p, 4);
  const __m512i b = _mm512_set1_epi32(q);
  return flip ? _mm512_xor_si512(b, _mm512_set1_epi32((int32_t)0x80808080u)) : b;
}

/* mr rows of one tile, requantized with constants the caller loaded (kept in registers); row r at
 * au + r * lda (packed rows: lda = kc). */
static inline __attribute__((always_inline)) void qs8_gemm_8x16c4__block(
    const size_t mr, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const int8_t* wp,
    __m512i bias,
    const qs8_avx512_rq* rq, int8_t* c, size_t ldc) {
  __m512i acc[8];
  for (size_t r = 0; r < mr; r++) acc[r] = bias;
  if (mr > 4) {
    for (size_t k = 0; k < kc; k += 4) {
      const __m512i w0 = _mm512_loadu_si512(wp);
      wp += 64;
      for (size_t r = 0; r < mr; r++) acc[r] = qs8_dpbusd(acc[r], qs8_bcast4(au + r * lda + k, flip), w0);
    }
  } else {
    __m512i acc1[4];
    for (size_t r = 0; r < mr; r++) acc1[r] = _mm512_setzero_si512();
    size_t k = 0;
    if (mr == 1) {
      /* one row (GEMV): four chains (two 128-byte steps), so the loop is not bound by vpdpbusd's
       * latency where the weights come from L1/L2; prefetched 4 KiB ahead for weights streamed from
       * DRAM (an MLP 4096's 16 MiB layers; 1 KiB ahead was up to 10% slower there) */
      __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
      for (; k + 16 <= kc; k += 16) {
        _mm_prefetch((const char*)wp + 4096, _MM_HINT_T0);
        _mm_prefetch((const char*)wp + 4096 + 64, _MM_HINT_T0);
        _mm_prefetch((const char*)wp + 4096 + 128, _MM_HINT_T0);
        _mm_prefetch((const char*)wp + 4096 + 192, _MM_HINT_T0);
        acc[0] = qs8_dpbusd(acc[0], qs8_bcast4(au + k, flip), _mm512_loadu_si512(wp));
        acc1[0] = qs8_dpbusd(acc1[0], qs8_bcast4(au + k + 4, flip), _mm512_loadu_si512(wp + 64));
        acc2 = qs8_dpbusd(acc2, qs8_bcast4(au + k + 8, flip), _mm512_loadu_si512(wp + 128));
        acc3 = qs8_dpbusd(acc3, qs8_bcast4(au + k + 12, flip), _mm512_loadu_si512(wp + 192));
        wp += 256;
      }
      acc[0] = _mm512_add_epi32(acc[0], acc2);
      acc1[0] = _mm512_add_epi32(acc1[0], acc3);
    }
    for (; k < kc; k += 8) {
      const __m512i w0 = _mm512_loadu_si512(wp);
      const __m512i w1 = _mm512_loadu_si512(wp + 64);
      /* 1 KiB ahead (the stream runs on across tiles): 4x2048x2048 from L3 579 -> 460 us (p10) */
      _mm_prefetch((const char*)wp + 1024, _MM_HINT_T0);
      _mm_prefetch((const char*)wp + 1024 + 64, _MM_HINT_T0);
      wp += 128;
      for (size_t r = 0; r < mr; r++) {
        acc[r] = qs8_dpbusd(acc[r], qs8_bcast4(au + r * lda + k, flip), w0);
        acc1[r] = qs8_dpbusd(acc1[r], qs8_bcast4(au + r * lda + k + 4, flip), w1);
      }
    }
    for (size_t r = 0; r < mr; r++) acc[r] = _mm512_add_epi32(acc[r], acc1[r]);
  }
  /* unrolled: with acc[] indexed at run time GCC keeps it in memory and copies the accumulators
   * between registers on every k step */
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++) {
    if (fast)
      qs8_avx512_store16_rq_fast(acc[r], rq, c + r * ldc);
    else
      qs8_avx512_store16_rq(acc[r], rq, c + r * ldc);
  }
}

static inline __attribute__((always_inline)) void qs8_gemm_8x16c4__avx512vnni(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p); /* once per tile, shared by all rows */
  qs8_gemm_8x16c4__block(mr, kc, (const uint8_t*)a, kc, 0, 0, (const int8_t*)w, _mm512_loadu_si512(p->bias), &rq, c,
                         ldc);
}

static inline __attribute__((always_inline)) void qs8_gemm_8x16c4__rows_rq(
    size_t m, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const void* w,
    const qs8_tile_params* p, const qs8_avx512_rq* rq_, int8_t* c, size_t ldc) {
  const qs8_avx512_rq rq = *rq_;
  const __m512i bias = _mm512_loadu_si512(p->bias);
  const int8_t* wp = (const int8_t*)w;
  size_t r = 0;
  for (; r + 8 <= m; r += 8) qs8_gemm_8x16c4__block(8, kc, au + r * lda, lda, flip, fast, wp, bias, &rq, c + r * ldc, ldc);
  au += r * lda;
  c += r * ldc;
  switch (m - r) { /* constant mr per case, so each block is fully unrolled */
    case 1: qs8_gemm_8x16c4__block(1, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 2: qs8_gemm_8x16c4__block(2, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 3: qs8_gemm_8x16c4__block(3, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 4: qs8_gemm_8x16c4__block(4, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 5: qs8_gemm_8x16c4__block(5, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 6: qs8_gemm_8x16c4__block(6, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    case 7: qs8_gemm_8x16c4__block(7, kc, au, lda, flip, fast, wp, bias, &rq, c, ldc); break;
    default: break;
  }
}

/* the requantization's common case (fused double rounding, zero point folded, all 16 channels stored)
 * in its own copy of the loops: no per-row branches on the variant */
static inline __attribute__((always_inline)) void qs8_gemm_8x16c4__rows(size_t m, size_t kc, const uint8_t* au,
                                                                       const size_t lda, const int flip, const void* w,
                                                                       const qs8_tile_params* p, int8_t* c,
                                                                       size_t ldc) {
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p); /* once for all m rows */
  if (qs8_avx512_rq_fast(&rq))
    qs8_gemm_8x16c4__rows_rq(m, kc, au, lda, flip, 1, w, p, &rq, c, ldc);
  else
    qs8_gemm_8x16c4__rows_rq(m, kc, au, lda, flip, 0, w, p, &rq, c, ldc);
}

void qs8_gemm_8x16c4_avx512vnni_rows(size_t m, size_t kc, const void* a, const void* w,
                                     const qs8_tile_params* p, int8_t* c, size_t ldc) {
  qs8_gemm_8x16c4__rows(m, kc, (const uint8_t*)a, kc, 0, w, p, c, ldc);
}

void qs8_gemm_8x16c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        const qs8_tile_params* p, int8_t* c, size_t ldc) {
  qs8_gemm_8x16c4__rows(m, kc, (const uint8_t*)a, lda, 1, w, p, c, ldc);
}

/* Two adjacent tiles (32 channels: weights w0 and w0 + w_stride) for mr rows: each broadcast of
 * four activation bytes feeds two vpdpbusd, so per step quad 8 rows take 2 weight loads and 8
 * broadcasts for 16 vpdpbusd instead of 2 + 16 for two single-tile passes. */
static inline __attribute__((always_inline)) void qs8_gemm_8x32c4__block(
    const size_t mr, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const int8_t* w0p,
    const int8_t* w1p, const qs8_tile_params* p0,
    const qs8_tile_params* p1, const qs8_avx512_rq* rq0, const qs8_avx512_rq* rq1, int8_t* c, size_t ldc) {
  __m512i acc0[8], acc1[8];
  const __m512i bias0 = _mm512_loadu_si512(p0->bias), bias1 = _mm512_loadu_si512(p1->bias);
  for (size_t r = 0; r < mr; r++) {
    acc0[r] = bias0;
    acc1[r] = bias1;
  }
  if (mr > 2) { /* 6+ independent chains */
    for (size_t k = 0; k < kc; k += 4) {
      const __m512i w0 = _mm512_loadu_si512(w0p), w1 = _mm512_loadu_si512(w1p);
      w0p += 64;
      w1p += 64;
      for (size_t r = 0; r < mr; r++) {
        const __m512i b = qs8_bcast4(au + r * lda + k, flip);
        acc0[r] = qs8_dpbusd(acc0[r], b, w0);
        acc1[r] = qs8_dpbusd(acc1[r], b, w1);
      }
    }
  } else { /* 1-2 rows: a second chain per tile over the odd step quads */
    __m512i acc2[2], acc3[2];
    for (size_t r = 0; r < mr; r++) acc2[r] = acc3[r] = _mm512_setzero_si512();
    for (size_t k = 0; k < kc; k += 8) {
      const __m512i w0 = _mm512_loadu_si512(w0p), w1 = _mm512_loadu_si512(w1p);
      const __m512i w2 = _mm512_loadu_si512(w0p + 64), w3 = _mm512_loadu_si512(w1p + 64);
      w0p += 128;
      w1p += 128;
      for (size_t r = 0; r < mr; r++) {
        const __m512i b0 = qs8_bcast4(au + r * lda + k, flip), b1 = qs8_bcast4(au + r * lda + k + 4, flip);
        acc0[r] = qs8_dpbusd(acc0[r], b0, w0);
        acc1[r] = qs8_dpbusd(acc1[r], b0, w1);
        acc2[r] = qs8_dpbusd(acc2[r], b1, w2);
        acc3[r] = qs8_dpbusd(acc3[r], b1, w3);
      }
    }
    for (size_t r = 0; r < mr; r++) {
      acc0[r] = _mm512_add_epi32(acc0[r], acc2[r]);
      acc1[r] = _mm512_add_epi32(acc1[r], acc3[r]);
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++) {
    if (fast) {
      qs8_avx512_store16_rq_fast(acc0[r], rq0, c + r * ldc);
      if (fast == 2)
        qs8_avx512_store16_rq_fast_masked(acc1[r], rq1, c + r * ldc + 16);
      else
        qs8_avx512_store16_rq_fast(acc1[r], rq1, c + r * ldc + 16);
    } else {
      qs8_avx512_store16_rq(acc0[r], rq0, c + r * ldc);
      qs8_avx512_store16_rq(acc1[r], rq1, c + r * ldc + 16);
    }
  }
}

static inline __attribute__((always_inline)) void qs8_gemm_8x32c4__rows_rq(
    size_t m, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const void* w,
    size_t w_stride, const qs8_tile_params* p0, const qs8_tile_params* p1, const qs8_avx512_rq* rq0_,
    const qs8_avx512_rq* rq1_, int8_t* c, size_t ldc) {
  const qs8_avx512_rq rq0 = *rq0_, rq1 = *rq1_;
  const int8_t* w0 = (const int8_t*)w;
  const int8_t* w1 = w0 + w_stride;
  size_t r = 0;
  for (; r + 8 <= m; r += 8)
    qs8_gemm_8x32c4__block(8, kc, au + r * lda, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c + r * ldc, ldc);
  au += r * lda;
  c += r * ldc;
  switch (m - r) { /* constant mr per case, so each block is fully unrolled */
    case 1: qs8_gemm_8x32c4__block(1, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 2: qs8_gemm_8x32c4__block(2, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 3: qs8_gemm_8x32c4__block(3, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 4: qs8_gemm_8x32c4__block(4, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 5: qs8_gemm_8x32c4__block(5, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 6: qs8_gemm_8x32c4__block(6, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    case 7: qs8_gemm_8x32c4__block(7, kc, au, lda, flip, fast, w0, w1, p0, p1, &rq0, &rq1, c, ldc); break;
    default: break;
  }
}

/* the fast form with a partial second tile (a plan's last), in place, in its own function: as a third copy
 * of the loops inside the entry it made GCC's code for the other two 10-15 % slower (kernel bench
 * 64x64x256 2.37 -> 2.67 us) */
static __attribute__((noinline)) void qs8_gemm_8x32c4__rows_s8_fast_masked(
    size_t m, size_t kc, const uint8_t* au, const size_t lda, const void* w, size_t w_stride,
    const qs8_tile_params* p0, const qs8_tile_params* p1, const qs8_avx512_rq* rq0, const qs8_avx512_rq* rq1,
    int8_t* c, size_t ldc) {
  qs8_gemm_8x32c4__rows_rq(m, kc, au, lda, 1, 2, w, w_stride, p0, p1, rq0, rq1, c, ldc);
}

static inline __attribute__((always_inline)) void qs8_gemm_8x32c4__rows(
    size_t m, size_t kc, const uint8_t* au, const size_t lda, const int flip, const void* w, size_t w_stride,
    const qs8_tile_params* p0, const qs8_tile_params* p1, int8_t* c, size_t ldc) {
  const qs8_avx512_rq rq0 = qs8_avx512_rq_load(p0), rq1 = qs8_avx512_rq_load(p1);
  if (qs8_avx512_rq_fast(&rq0) && qs8_avx512_rq_fast(&rq1))
    qs8_gemm_8x32c4__rows_rq(m, kc, au, lda, flip, 1, w, w_stride, p0, p1, &rq0, &rq1, c, ldc);
  else if (flip && qs8_avx512_rq_fast(&rq0) && qs8_avx512_rq_fast_masked(&rq1)) /* second tile a partial last */
    qs8_gemm_8x32c4__rows_s8_fast_masked(m, kc, au, lda, w, w_stride, p0, p1, &rq0, &rq1, c, ldc);
  else
    qs8_gemm_8x32c4__rows_rq(m, kc, au, lda, flip, 0, w, w_stride, p0, p1, &rq0, &rq1, c, ldc);
}

void qs8_gemm_8x32c4_avx512vnni_rows(size_t m, size_t kc, const void* a, const void* w, size_t w_stride,
                                     const qs8_tile_params* p0, const qs8_tile_params* p1, int8_t* c, size_t ldc) {
  qs8_gemm_8x32c4__rows(m, kc, (const uint8_t*)a, kc, 0, w, w_stride, p0, p1, c, ldc);
}

void qs8_gemm_8x32c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        size_t w_stride, const qs8_tile_params* p0, const qs8_tile_params* p1,
                                        int8_t* c, size_t ldc) {
  qs8_gemm_8x32c4__rows(m, kc, (const uint8_t*)a, lda, 1, w, w_stride, p0, p1, c, ldc);
}

/* Three adjacent tiles (48 channels) for mr rows, the third maybe a plan's partial last one: a plan
 * of an odd number of tiles (80, 112 channels; k >= 128: the dispatcher's bound) ends on these, not a one-tile pass, so
 * its last tile shares the broadcasts too (8 rows x 3 tiles: 24 accumulators + 3 weight vectors). */
static inline __attribute__((always_inline)) void qs8_gemm_8x48c4__block(
    const size_t mr, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const int8_t* w0p,
    const size_t w_stride, const qs8_tile_params* const* p, const qs8_avx512_rq* rq, int8_t* c, size_t ldc) {
  __m512i acc0[8], acc1[8], acc2[8];
  const int8_t* w1p = w0p + w_stride;
  const int8_t* w2p = w1p + w_stride;
  const __m512i bias0 = _mm512_loadu_si512(p[0]->bias), bias1 = _mm512_loadu_si512(p[1]->bias),
                bias2 = _mm512_loadu_si512(p[2]->bias);
  for (size_t r = 0; r < mr; r++) {
    acc0[r] = bias0;
    acc1[r] = bias1;
    acc2[r] = bias2;
  }
  for (size_t k = 0; k < kc; k += 4) { /* 3+ independent chains whatever mr */
    const __m512i w0 = _mm512_loadu_si512(w0p), w1 = _mm512_loadu_si512(w1p), w2 = _mm512_loadu_si512(w2p);
    w0p += 64;
    w1p += 64;
    w2p += 64;
    for (size_t r = 0; r < mr; r++) {
      const __m512i b = qs8_bcast4(au + r * lda + k, flip);
      acc0[r] = qs8_dpbusd(acc0[r], b, w0);
      acc1[r] = qs8_dpbusd(acc1[r], b, w1);
      acc2[r] = qs8_dpbusd(acc2[r], b, w2);
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++) {
    if (fast) {
      qs8_avx512_store16_rq_fast(acc0[r], &rq[0], c + r * ldc);
      qs8_avx512_store16_rq_fast(acc1[r], &rq[1], c + r * ldc + 16);
      if (fast == 2)
        qs8_avx512_store16_rq_fast_masked(acc2[r], &rq[2], c + r * ldc + 32);
      else
        qs8_avx512_store16_rq_fast(acc2[r], &rq[2], c + r * ldc + 32);
    } else {
      qs8_avx512_store16_rq(acc0[r], &rq[0], c + r * ldc);
      qs8_avx512_store16_rq(acc1[r], &rq[1], c + r * ldc + 16);
      qs8_avx512_store16_rq(acc2[r], &rq[2], c + r * ldc + 32);
    }
  }
}

static inline __attribute__((always_inline)) void qs8_gemm_8x48c4__rows_rq(
    size_t m, size_t kc, const uint8_t* au, const size_t lda, const int flip, const int fast, const void* w,
    size_t w_stride, const qs8_tile_params* const* p, const qs8_avx512_rq* rq_, int8_t* c, size_t ldc) {
  const qs8_avx512_rq rq[3] = {rq_[0], rq_[1], rq_[2]};
  const int8_t* w0 = (const int8_t*)w;
  size_t r = 0;
  for (; r + 8 <= m; r += 8)
    qs8_gemm_8x48c4__block(8, kc, au + r * lda, lda, flip, fast, w0, w_stride, p, rq, c + r * ldc, ldc);
  au += r * lda;
  c += r * ldc;
  switch (m - r) { /* constant mr per case, so each block is fully unrolled */
    case 1: qs8_gemm_8x48c4__block(1, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 2: qs8_gemm_8x48c4__block(2, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 3: qs8_gemm_8x48c4__block(3, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 4: qs8_gemm_8x48c4__block(4, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 5: qs8_gemm_8x48c4__block(5, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 6: qs8_gemm_8x48c4__block(6, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    case 7: qs8_gemm_8x48c4__block(7, kc, au, lda, flip, fast, w0, w_stride, p, rq, c, ldc); break;
    default: break;
  }
}

void qs8_gemm_8x48c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        size_t w_stride, const qs8_tile_params* p0, const qs8_tile_params* p1,
                                        const qs8_tile_params* p2, int8_t* c, size_t ldc) {
  const qs8_tile_params* const p[3] = {p0, p1, p2};
  const qs8_avx512_rq rq[3] = {qs8_avx512_rq_load(p0), qs8_avx512_rq_load(p1), qs8_avx512_rq_load(p2)};
  const uint8_t* au = (const uint8_t*)a;
  if (qs8_avx512_rq_fast(&rq[0]) && qs8_avx512_rq_fast(&rq[1]) && qs8_avx512_rq_fast(&rq[2]))
    qs8_gemm_8x48c4__rows_rq(m, kc, au, lda, 1, 1, w, w_stride, p, rq, c, ldc);
  else if (qs8_avx512_rq_fast(&rq[0]) && qs8_avx512_rq_fast(&rq[1]) && qs8_avx512_rq_fast_masked(&rq[2]))
    qs8_gemm_8x48c4__rows_rq(m, kc, au, lda, 1, 2, w, w_stride, p, rq, c, ldc);
  else
    qs8_gemm_8x48c4__rows_rq(m, kc, au, lda, 1, 0, w, w_stride, p, rq, c, ldc);
}

#define DEFINE_MR(n)                                                                       \
  static void qs8_gemm_8x16c4__avx512vnni_mr##n(size_t kc, const void* a, const void* w,  \
                                                const qs8_tile_params* p, int8_t* c,      \
                                                size_t ldc) {                              \
    qs8_gemm_8x16c4__avx512vnni(n, kc, a, w, p, c, ldc);                                   \
  }
DEFINE_MR(1)
DEFINE_MR(2)
DEFINE_MR(3)
DEFINE_MR(4)
DEFINE_MR(5)
DEFINE_MR(6)
DEFINE_MR(7)
DEFINE_MR(8)

const qs8_ukernel_fn qs8_gemm_8x16c4_avx512vnni[8] = {
    qs8_gemm_8x16c4__avx512vnni_mr1, qs8_gemm_8x16c4__avx512vnni_mr2,
    qs8_gemm_8x16c4__avx512vnni_mr3, qs8_gemm_8x16c4__avx512vnni_mr4,
    qs8_gemm_8x16c4__avx512vnni_mr5, qs8_gemm_8x16c4__avx512vnni_mr6,
    qs8_gemm_8x16c4__avx512vnni_mr7, qs8_gemm_8x16c4__avx512vnni_mr8};
