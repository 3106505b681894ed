/* AVX-512 VNNI kernel, up to 4 rows x 16 channels, int8 weights. vpdpbusd multiplies unsigned
 * activations (a + 128; the dispatcher folds -128 * sum(W) into the bias) by signed weights and
 * sums 4 products into int32 without intermediate saturation. Two accumulator sets (even / odd
 * step quads) hide the instruction's latency. */
#include <string.h>

#include "qs8_requant_avx512.h"

static inline __attribute__((always_inline)) void qs8_gemm_4x16c4__avx512vnni(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const uint8_t* au = (const uint8_t*)a;
  const int8_t* wp = (const int8_t*)w;
  __m512i acc0[4], acc1[4];
  const __m512i bias = _mm512_loadu_si512(p->bias);
  for (size_t r = 0; r < mr; r++) {
    acc0[r] = bias;
    acc1[r] = _mm512_setzero_si512();
  }
  for (size_t k = 0; k < kc; k += 8) {
    const __m512i w0 = _mm512_loadu_si512(wp);
    const __m512i w1 = _mm512_loadu_si512(wp + 64);
    wp += 128;
    for (size_t r = 0; r < mr; r++) {
      int32_t q0, q1;
      memcpy(&q0, au + r * kc + k, 4);
      memcpy(&q1, au + r * kc + k + 4, 4);
      acc0[r] = _mm512_dpbusd_epi32(acc0[r], _mm512_set1_epi32(q0), w0);
      acc1[r] = _mm512_dpbusd_epi32(acc1[r], _mm512_set1_epi32(q1), w1);
    }
  }
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p); /* once per tile, not per row */
  for (size_t r = 0; r < mr; r++) {
    const __m512i acc = _mm512_add_epi32(acc0[r], acc1[r]);
    qs8_avx512_store16_rq(acc, &rq, c + r * ldc);
  }
}

#define DEFINE_MR(n)                                                                       \
  static void qs8_gemm_4x16c4__avx512vnni_mr##n(size_t kc, const void* a, const void* w,  \
                                                const qs8_tile_params* p, int8_t* c,      \
                                                size_t ldc) {                              \
    qs8_gemm_4x16c4__avx512vnni(n, kc, a, w, p, c, ldc);                                   \
  }
DEFINE_MR(1)
DEFINE_MR(2)
DEFINE_MR(3)
DEFINE_MR(4)

const qs8_ukernel_fn qs8_gemm_4x16c4_avx512vnni[4] = {
    qs8_gemm_4x16c4__avx512vnni_mr1, qs8_gemm_4x16c4__avx512vnni_mr2,
    qs8_gemm_4x16c4__avx512vnni_mr3, qs8_gemm_4x16c4__avx512vnni_mr4};
