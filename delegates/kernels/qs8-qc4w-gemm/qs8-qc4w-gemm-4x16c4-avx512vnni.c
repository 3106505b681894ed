/* AVX-512 VNNI kernels, up to 4 rows x 16 channels, int4 weights kept packed, fed to vpdpbusd as
 * in the int8 kernel (unsigned a + 128 times signed weights).
 * x16 (k <= QS8_QC4W_X16_MAX_K, int4 group 128): each 64-byte group holds two step quads, the
 *   first in the low nibbles, the second in the high ones. A nibble in the high half of a byte
 *   is 16 * w as a signed byte, so a mask (and a 4-bit shift first for the low nibbles) yields
 *   the weights times 16 with no table lookup: 3 ops per two vectors of weights. The sums are 16
 *   times the true ones and divided back exactly (an arithmetic shift) before the bias; they fit
 *   int32 while 255 * 128 * k < 2^31.
 * x16o8 (plans for one-row calls, FC at batch 1; same group layout): the nibbles hold w + 8 (0..15)
 *   and are vpdpbusd's unsigned operand, the activations (as they are, signed) the other: a mask
 *   gives w + 8 from the low nibbles and 16 * (w + 8) from the high ones, 2 ops per two vectors of
 *   weights instead of 3 (the one-row loop at 4-8 threads on the H200 host's Xeon is bound by the
 *   two 512-bit ports: 8 instead of 10 of their ops per 128 weight bytes). The high sums are divided
 *   back exactly (they fit int32 while 16 * 15 * 128 * k / 2 < 2^31) and 8 * sum(a) of the row (the
 *   dispatcher's, p->a_sums) comes off before the bias.
 * Larger k (int4 group 64): each 32-byte group holds the 64 weights of one step quad (channels
 *   0-7 in the low nibbles, 8-15 in the high ones); the two nibble halves are joined into one
 *   zmm and mapped to signed int8 with vpshufb. */
/* Variant of ../qs8-gemm/qs8-gemm-8x16c4-avx512vnni.c: one file per ISA and weight type, as in XNNPACK. */
#include <string.h>

#include "qs8-gemm/qs8-gemm-dpbusd.h"
#include "qs8-gemm/qs8-gemm-requant-avx512.h"

static inline __m512i qc4w_unpack64(const uint8_t* wp) {
  const __m512i lut = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1));
  const __m256i packed = _mm256_loadu_si256((const __m256i*)wp);
  const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(packed),
                                          _mm256_srli_epi16(packed, 4), 1);
  return _mm512_shuffle_epi8(lut, _mm512_and_si512(both, _mm512_set1_epi8(0x0F)));
}

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x16c4__avx512vnni(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const uint8_t* au = (const uint8_t*)a;
  const uint8_t* wp = (const uint8_t*)w;
  __m512i acc0[4], acc1[4];
  const __m512i bias = _mm512_loadu_si512(p->bias);
  for (size_t r = 0; r < mr; r++) {
    acc0[r] = bias;
    acc1[r] = _mm512_setzero_si512();
  }
  for (size_t k = 0; k < kc; k += 8) {
    const __m512i w0 = qc4w_unpack64(wp);
    const __m512i w1 = qc4w_unpack64(wp + 32);
    wp += 64;
    for (size_t r = 0; r < mr; r++) {
      int32_t q0, q1;
      memcpy(&q0, au + r * kc + k, 4);
      memcpy(&q1, au + r * kc + k + 4, 4);
      acc0[r] = qs8_dpbusd(acc0[r], _mm512_set1_epi32(q0), w0);
      acc1[r] = qs8_dpbusd(acc1[r], _mm512_set1_epi32(q1), w1);
    }
  }
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p); /* once per tile, not per row */
  for (size_t r = 0; r < mr; r++) {
    const __m512i acc = _mm512_add_epi32(acc0[r], acc1[r]);
    qs8_avx512_store16_rq(acc, &rq, c + r * ldc);
  }
}

/* Two accumulator sets (even / odd step quads), each step of 8 reading one 64-byte group. Four
 * sets for 1-2 rows ran faster on L2-resident weights but 10-15% slower on weights streamed from
 * L3 (1x2048x2048, three plans in turn, per-call thread CPU time), the MLP case. Prefetching
 * 2 KiB ahead: 1x2048x2048 53 -> 46 us (p10) from L2, median 222-238 -> 216 us from L3. */
static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x16c4__avx512vnni_x16(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const uint8_t* au = (const uint8_t*)a;
  const uint8_t* wp = (const uint8_t*)w;
  const __m512i hi = _mm512_set1_epi8((char)0xF0);
  __m512i acc0[4], acc1[4];
  for (size_t r = 0; r < mr; r++) acc0[r] = acc1[r] = _mm512_setzero_si512();
  size_t k = 0;
  if (mr == 1) {
    /* one row (GEMV): two more chains over a second group per step, so the loop is not bound by
     * vpdpbusd's latency (two chains: one 64-byte group per latency) where the weights come
     * from L1/L2, as each thread's slice of an MLP does at 4+ threads */
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    for (; k + 16 <= kc; k += 16) {
      const __m512i g = _mm512_loadu_si512(wp), h = _mm512_loadu_si512(wp + 64);
      _mm_prefetch((const char*)wp + 8192, _MM_HINT_T0); /* 8 KiB ahead: DRAM-streamed MLPs */
      _mm_prefetch((const char*)wp + 8192 + 64, _MM_HINT_T0);
      wp += 128;
      int32_t q[4];
      memcpy(q, au + k, 16);
      acc0[0] = qs8_dpbusd(acc0[0], _mm512_set1_epi32(q[0]), _mm512_and_si512(_mm512_slli_epi16(g, 4), hi));
      acc1[0] = qs8_dpbusd(acc1[0], _mm512_set1_epi32(q[1]), _mm512_and_si512(g, hi));
      acc2 = qs8_dpbusd(acc2, _mm512_set1_epi32(q[2]), _mm512_and_si512(_mm512_slli_epi16(h, 4), hi));
      acc3 = qs8_dpbusd(acc3, _mm512_set1_epi32(q[3]), _mm512_and_si512(h, hi));
    }
    acc0[0] = _mm512_add_epi32(acc0[0], acc2);
    acc1[0] = _mm512_add_epi32(acc1[0], acc3);
  }
  for (; k < kc; k += 8) {
    const __m512i g = _mm512_loadu_si512(wp);
    _mm_prefetch((const char*)wp + 2048, _MM_HINT_T0); /* the stream runs on across tiles */
    wp += 64;
    const __m512i w0 = _mm512_and_si512(_mm512_slli_epi16(g, 4), hi), w1 = _mm512_and_si512(g, hi);
    for (size_t r = 0; r < mr; r++) {
      int32_t q0, q1;
      memcpy(&q0, au + r * kc + k, 4);
      memcpy(&q1, au + r * kc + k + 4, 4);
      acc0[r] = qs8_dpbusd(acc0[r], _mm512_set1_epi32(q0), w0);
      acc1[r] = qs8_dpbusd(acc1[r], _mm512_set1_epi32(q1), w1);
    }
  }
  const __m512i bias = _mm512_loadu_si512(p->bias);
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p);
#pragma GCC unroll 4
  for (size_t r = 0; r < mr; r++) {
    const __m512i sum = _mm512_add_epi32(acc0[r], acc1[r]);
    qs8_avx512_store16_rq(_mm512_add_epi32(_mm512_srai_epi32(sum, 4), bias), &rq, c + r * ldc);
  }
}

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const int8_t* as = (const int8_t*)a; /* signed activations, rows of kc (zero-padded) */
  const uint8_t* wp = (const uint8_t*)w;
  const __m512i lo = _mm512_set1_epi8(0x0F), hi = _mm512_set1_epi8((char)0xF0);
  __m512i acc0[4], acc1[4];
  for (size_t r = 0; r < mr; r++) acc0[r] = acc1[r] = _mm512_setzero_si512();
  size_t k = 0;
  if (mr == 1) { /* four chains, as the x16 kernel's one-row loop */
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    for (; k + 16 <= kc; k += 16) {
      const __m512i g = _mm512_loadu_si512(wp), h = _mm512_loadu_si512(wp + 64);
      _mm_prefetch((const char*)wp + 8192, _MM_HINT_T0); /* 8 KiB ahead: DRAM-streamed MLPs */
      _mm_prefetch((const char*)wp + 8192 + 64, _MM_HINT_T0);
      wp += 128;
      int32_t q[4];
      memcpy(q, as + k, 16);
      acc0[0] = qs8_dpbusd(acc0[0], _mm512_and_si512(g, lo), _mm512_set1_epi32(q[0]));
      acc1[0] = qs8_dpbusd(acc1[0], _mm512_and_si512(g, hi), _mm512_set1_epi32(q[1]));
      acc2 = qs8_dpbusd(acc2, _mm512_and_si512(h, lo), _mm512_set1_epi32(q[2]));
      acc3 = qs8_dpbusd(acc3, _mm512_and_si512(h, hi), _mm512_set1_epi32(q[3]));
    }
    acc0[0] = _mm512_add_epi32(acc0[0], acc2);
    acc1[0] = _mm512_add_epi32(acc1[0], acc3);
  }
  for (; k < kc; k += 8) {
    const __m512i g = _mm512_loadu_si512(wp);
    _mm_prefetch((const char*)wp + 2048, _MM_HINT_T0);
    wp += 64;
    const __m512i w0 = _mm512_and_si512(g, lo), w1 = _mm512_and_si512(g, hi);
    for (size_t r = 0; r < mr; r++) {
      int32_t q0, q1;
      memcpy(&q0, as + r * kc + k, 4);
      memcpy(&q1, as + r * kc + k + 4, 4);
      acc0[r] = qs8_dpbusd(acc0[r], w0, _mm512_set1_epi32(q0));
      acc1[r] = qs8_dpbusd(acc1[r], w1, _mm512_set1_epi32(q1));
    }
  }
  const __m512i bias = _mm512_loadu_si512(p->bias);
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p);
#pragma GCC unroll 4
  for (size_t r = 0; r < mr; r++) {
    /* low nibbles count once, high ones 16 times (exact multiples of 16 within the k bound) */
    const __m512i sum = _mm512_add_epi32(acc0[r], _mm512_srai_epi32(acc1[r], 4));
    const __m512i off = _mm512_set1_epi32((int32_t)((uint32_t)p->a_sums[r] * 8u));
    qs8_avx512_store16_rq(_mm512_add_epi32(_mm512_sub_epi32(sum, off), bias), &rq, c + r * ldc);
  }
}

#define DEFINE_MR(n)                                                                       \
  static void qs8_qc4w_gemm_4x16c4__avx512vnni_mr##n(size_t kc, const void* a, const void* w, \
                                                 const qs8_tile_params* p, int8_t* c,     \
                                                 size_t ldc) {                             \
    qs8_qc4w_gemm_4x16c4__avx512vnni(n, kc, a, w, p, c, ldc);                                  \
  }
DEFINE_MR(1)
DEFINE_MR(2)
DEFINE_MR(3)
DEFINE_MR(4)

#define DEFINE_MR_X16(n)                                                                        \
  static void qs8_qc4w_gemm_4x16c4__avx512vnni_x16_mr##n(size_t kc, const void* a, const void* w, \
                                                         const qs8_tile_params* p, int8_t* c,     \
                                                         size_t ldc) {                            \
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16(n, kc, a, w, p, c, ldc);                                 \
  }
DEFINE_MR_X16(1)
DEFINE_MR_X16(2)
DEFINE_MR_X16(3)
DEFINE_MR_X16(4)

#define DEFINE_MR_X16O8(n)                                                                        \
  static void qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8_mr##n(size_t kc, const void* a, const void* w, \
                                                           const qs8_tile_params* p, int8_t* c,     \
                                                           size_t ldc) {                            \
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8(n, kc, a, w, p, c, ldc);                                 \
  }
DEFINE_MR_X16O8(1)
DEFINE_MR_X16O8(2)
DEFINE_MR_X16O8(3)
DEFINE_MR_X16O8(4)

const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni_x16[4] = {
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16_mr1, qs8_qc4w_gemm_4x16c4__avx512vnni_x16_mr2,
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16_mr3, qs8_qc4w_gemm_4x16c4__avx512vnni_x16_mr4};

const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni_x16o8[4] = {
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8_mr1, qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8_mr2,
    qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8_mr3, qs8_qc4w_gemm_4x16c4__avx512vnni_x16o8_mr4};

const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni[4] = {
    qs8_qc4w_gemm_4x16c4__avx512vnni_mr1, qs8_qc4w_gemm_4x16c4__avx512vnni_mr2,
    qs8_qc4w_gemm_4x16c4__avx512vnni_mr3, qs8_qc4w_gemm_4x16c4__avx512vnni_mr4};
