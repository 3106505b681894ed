/* AVX2 LUT: VPSHUFB looks up 16 entries (an index byte with bit 7 set gives 0), so the table is
 * taken as 16 rows of 16. Inputs 0..127 (as int8): row k is looked up with x - 16k (saturating),
 * which is in 0..15 for row x>>4, below it for earlier rows and negative for later ones; inputs
 * -128..-1 do the same on x ^ 0x80 with rows 8..15. The rows are stored XORed with the row before
 * (within each half), so XORing every lookup of a half leaves exactly the wanted row's entry. */
/* Variant of x8-lut-u64-neon.c: one file per ISA, as in XNNPACK. */
#include <immintrin.h>
#include <string.h>

#include "x8-lut/x8-lut.h"

static inline __m256i lut32(__m256i x, const __m256i d[16]) {
  const __m256i k16 = _mm256_set1_epi8(16);
  __m256i a = x, b = _mm256_xor_si256(x, _mm256_set1_epi8((char)0x80));
  __m256i y = _mm256_xor_si256(_mm256_shuffle_epi8(d[0], a), _mm256_shuffle_epi8(d[8], b));
  for (int k = 1; k < 8; ++k) {
    a = _mm256_subs_epi8(a, k16);
    b = _mm256_subs_epi8(b, k16);
    y = _mm256_xor_si256(y, _mm256_xor_si256(_mm256_shuffle_epi8(d[k], a), _mm256_shuffle_epi8(d[8 + k], b)));
  }
  return y;
}

void x8_lut_u32_avx2(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]) {
  __m256i d[16];
  for (int k = 0; k < 16; ++k) {
    __m128i row = _mm_loadu_si128((const __m128i*)(table + 16 * k));
    if (k % 8) row = _mm_xor_si128(row, _mm_loadu_si128((const __m128i*)(table + 16 * (k - 1))));
    d[k] = _mm256_broadcastsi128_si256(row);
  }
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256((__m256i*)(output + i), lut32(_mm256_loadu_si256((const __m256i*)(input + i)), d));
  if (i < n) { /* tail through a small buffer: never touch memory past the tensors */
    int8_t tx[32] = {0}, ty[32];
    memcpy(tx, input + i, n - i);
    _mm256_storeu_si256((__m256i*)ty, lut32(_mm256_loadu_si256((const __m256i*)tx), d));
    memcpy(output + i, ty, n - i);
  }
}
