/* AVX-512 MEAN over a contiguous block of rows (global average pooling), channels [c0, c1): per
 * tile of up to 64 channels (masked loads and stores for the last one) the rows are added into
 * int16 lanes 256 rows at a time (|sum| <= 256 * 128 fits), then widened into int32 accumulators
 * held in registers for the whole reduction; the requantization is the scalar kernel's (sum - zp *
 * count wrapping like its uint32 arithmetic, base/requant-avx512.h's double rounding, zero point,
 * clamp). Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "base/requant-avx512.h"
#include "qs8-mean/qs8-mean.h"

typedef struct {
  __m512i zp_sum, mult, ls, rs, mask, half, out_zp, lo, hi;
  __mmask16 any_ls, mult_is_min;
} consts;

static inline __m128i rq16(__m512i sum, const consts* k) {
  __m512i r = eq_avx512_mbqm_double(_mm512_sub_epi32(sum, k->zp_sum), k->mult, k->mult, k->ls, k->rs, k->mask,
                                    k->half, k->any_ls, k->mult_is_min);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, k->out_zp), k->lo), k->hi);
  return _mm512_cvtepi32_epi8(r); /* clamped: truncation is exact */
}

/* w in [1, 64] channels starting at in[0], rows `inner` apart */
static void tile(const int8_t* in, size_t reduce, size_t inner, size_t w, int8_t* out, const consts* k) {
  const __mmask64 m = w >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << w) - 1);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t r = 0; r < reduce;) {
    const size_t end = reduce - r > 256 ? r + 256 : reduce;
    __m512i l = _mm512_setzero_si512(), h = l;
    for (; r < end; ++r, in += inner) {
      const __m512i v = _mm512_maskz_loadu_epi8(m, in);
      l = _mm512_add_epi16(l, _mm512_cvtepi8_epi16(_mm512_castsi512_si256(v)));
      h = _mm512_add_epi16(h, _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(v, 1)));
    }
    a0 = _mm512_add_epi32(a0, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(l)));
    a1 = _mm512_add_epi32(a1, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(l, 1)));
    a2 = _mm512_add_epi32(a2, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(h)));
    a3 = _mm512_add_epi32(a3, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(h, 1)));
  }
  const __m512i acc[4] = {a0, a1, a2, a3};
  for (size_t q = 0; q * 16 < w; ++q) {
    const size_t left = w - q * 16;
    const __mmask16 mq = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    _mm_mask_storeu_epi8(out + q * 16, mq, rq16(acc[q], k));
  }
}

void qs8_mean_rd_channels_u64_avx512skx(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner,
                                        size_t c0, size_t c1, const int8_t* input, int8_t* output, int32_t* sums) {
  (void)sums;
  const int32_t ls = p->shift > 0 ? p->shift : 0, rs = p->shift > 0 ? 0 : -p->shift;
  const consts k = {_mm512_set1_epi32((int32_t)((uint32_t)p->in_zp * (uint32_t)p->count)), _mm512_set1_epi32(p->mult),
                    _mm512_set1_epi32(ls), _mm512_set1_epi32(rs),
                    _mm512_set1_epi32((int32_t)((UINT32_C(1) << rs) - 1)),
                    _mm512_set1_epi32((int32_t)(((UINT32_C(1) << rs) - 1) >> 1)),
                    _mm512_set1_epi32(p->out_zp), _mm512_set1_epi32(-128), _mm512_set1_epi32(127),
                    (__mmask16)(ls ? 0xFFFF : 0), (__mmask16)(p->mult == INT32_MIN ? 0xFFFF : 0)};
  for (size_t o = 0; o < outer; ++o) {
    const int8_t* base = input + o * reduce * inner;
    int8_t* out = output + o * inner;
    for (size_t c = c0; c < c1; c += 64) tile(base + c, reduce, inner, c1 - c < 64 ? c1 - c : 64, out + c, &k);
  }
}
