/* AVX2 table softmax: 8 outputs per step, the exps gathered by difference to the row maximum and
 * rescaled with the GEMM kernels' double rounding (eq_avx2_mbqm_double; SRDHM is symmetric, so
 * exp * reciprocal is the reference's reciprocal * exp). Compiled with -mavx2. */
#include <immintrin.h>
#include <string.h>

#include "base/requant-avx2.h"
#include "qs8-softmax/qs8-softmax-row.h"

void qs8_softmax_lut_avx2(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                          int8_t* output, int32_t row_begin, int32_t row_end) {
  const size_t depth = (size_t)p->depth;
  const __m256i bias = _mm256_set1_epi32(-128);
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int8_t* row = input + (size_t)i * depth;
    int8_t* dst = output + (size_t)i * depth;
    qs8_softmax_row r;
    if (!qs8_softmax_row_init(t, row, depth, &r)) {
      memset(dst, -128, depth);
      continue;
    }
    const __m256i vmax = _mm256_set1_epi32(r.max), vscale = _mm256_set1_epi32(r.scale);
    const __m256i vshift = _mm256_set1_epi32(-r.exponent);
    size_t c = 0;
    for (; c + 8 <= depth; c += 8) {
      const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(row + c)));
      const __m256i e = _mm256_i32gather_epi32(t->exp, _mm256_sub_epi32(vmax, x), 4);
      /* unsat - 128 lies in [-128, 128]: the saturating packs clamp it */
      const __m256i v = _mm256_add_epi32(eq_avx2_mbqm_double(e, vscale, vshift), bias);
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      _mm_storel_epi64((__m128i*)(dst + c), _mm_packs_epi16(w, w));
    }
    for (; c < depth; ++c) {
      const int32_t unsat = eq_rdpot(fp_mul(r.scale, t->exp[r.max - row[c]]), r.exponent);
      dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
    }
  }
}
