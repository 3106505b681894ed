/* AVX2 kernel, up to 4 rows x 16 channels, int4 weights kept packed: each 16-byte group holds
 * the 32 weights of one step pair (channels 0-7 in the low nibbles, 8-15 in the high ones);
 * nibbles become signed int8 through a vpshufb lookup, then int16, then vpmaddwd as in the
 * int8 kernel. */
/* Variant of ../qs8-gemm/qs8-gemm-4x16c2-avx2.c: one file per ISA and weight type, as in XNNPACK. */
#include <string.h>

#include "qs8-gemm/qs8-gemm-requant-avx2.h"

static inline __attribute__((always_inline)) void qs8_qc4w_gemm_4x16c2__avx2(
    const size_t mr, size_t kc, const void* a, const void* w, const qs8_tile_params* p, int8_t* c,
    size_t ldc) {
  const int16_t* a16 = (const int16_t*)a;
  const uint8_t* wp = (const uint8_t*)w;
  const __m128i lut = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
  const __m128i low4 = _mm_set1_epi8(0x0F);
  __m256i acc_lo[4], acc_hi[4];
  const __m256i b_lo = _mm256_loadu_si256((const __m256i*)p->bias);
  const __m256i b_hi = _mm256_loadu_si256((const __m256i*)(p->bias + 8));
  for (size_t r = 0; r < mr; r++) {
    acc_lo[r] = b_lo;
    acc_hi[r] = b_hi;
  }
  for (size_t k = 0; k < kc; k += 2) {
    const __m128i packed = _mm_loadu_si128((const __m128i*)wp);
    wp += 16;
    const __m128i n_lo = _mm_shuffle_epi8(lut, _mm_and_si128(packed, low4));
    const __m128i n_hi = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(packed, 4), low4));
    const __m256i w_lo = _mm256_cvtepi8_epi16(n_lo);
    const __m256i w_hi = _mm256_cvtepi8_epi16(n_hi);
    for (size_t r = 0; r < mr; r++) {
      int32_t pair;
      memcpy(&pair, a16 + r * kc + k, sizeof(pair));
      const __m256i va = _mm256_set1_epi32(pair);
      acc_lo[r] = _mm256_add_epi32(acc_lo[r], _mm256_madd_epi16(va, w_lo));
      acc_hi[r] = _mm256_add_epi32(acc_hi[r], _mm256_madd_epi16(va, w_hi));
    }
  }
  for (size_t r = 0; r < mr; r++) qs8_avx2_store16(acc_lo[r], acc_hi[r], p, c + r * ldc);
}

#define DEFINE_MR(n)                                                                          \
  static void qs8_qc4w_gemm_4x16c2__avx2_mr##n(size_t kc, const void* a, const void* w,           \
                                           const qs8_tile_params* p, int8_t* c, size_t ldc) { \
    qs8_qc4w_gemm_4x16c2__avx2(n, kc, a, w, p, c, ldc);                                           \
  }
DEFINE_MR(1)
DEFINE_MR(2)
DEFINE_MR(3)
DEFINE_MR(4)

const qs8_ukernel_fn qs8_qc4w_gemm_4x16c2_avx2[4] = {
    qs8_qc4w_gemm_4x16c2__avx2_mr1, qs8_qc4w_gemm_4x16c2__avx2_mr2, qs8_qc4w_gemm_4x16c2__avx2_mr3,
    qs8_qc4w_gemm_4x16c2__avx2_mr4};
