/* AVX-512 ADD: 16 elements per step. Each of the three SmallerThanOneExp rescales is one 64-bit
 * step per product p = x * m (right shifts only, rs = -shift in [0, 31]):
 *   RoundingDivideByPOT(SRDHM(x, m), rs) = (p + 2^30 + 2^(30+rs) - 2^31 [p < 0]) >> (31 + rs)
 * for rs >= 1 and (p + 2^30) >> 31 for rs = 0 (base/requant-avx512.h derives it), with AVX-512's
 * 64-bit arithmetic shift; even and odd lanes' low halves are interleaved back by one permute.
 * With int8's left shift of 20 the input rescales need no 64-bit products: for x = v << 20
 * (v = a - zp, |v| <= 255) and m = mh * 2^11 + ml (ml in [0, 2047]) the same value is
 *   (a*mh + ((a*ml + c1) >> 11) + c2 - [v*m < 0]) >> rs,  c1 = -zp*ml + 1024, c2 = -zp*mh + 2^(rs-1)
 * ([v*m < 0] and 2^(rs-1) only for rs >= 1), every term within int32 (derived in the notes of
 * in_rescale16), so 16 lanes in one register. Tails use masked loads and stores. Compiled with
 * -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "base/fast-exact.h"
#include "qs8-vadd/qs8-vadd.h"

typedef struct {
  __m512i m, k, corr; /* multiplier (low half of each 64-bit lane), rounding terms */
  __m128i s;          /* 31 + rs */
} rescale;

static inline rescale rescale_of(int32_t mult, int32_t shift) {
  const int rs = -shift;
  rescale r;
  r.m = _mm512_set1_epi64(mult);
  r.k = _mm512_set1_epi64((INT64_C(1) << 30) + (rs ? (INT64_C(1) << (30 + rs)) : 0));
  r.corr = _mm512_set1_epi64(rs ? (INT64_C(1) << 31) : 0);
  r.s = _mm_cvtsi32_si128(31 + rs);
  return r;
}

static inline __m512i rescale16(__m512i x, const rescale* r) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i pe = _mm512_mul_epi32(x, r->m);
  const __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->m);
  __m512i te = _mm512_add_epi64(pe, r->k), to = _mm512_add_epi64(po, r->k);
  te = _mm512_mask_sub_epi64(te, _mm512_cmplt_epi64_mask(pe, zero), te, r->corr);
  to = _mm512_mask_sub_epi64(to, _mm512_cmplt_epi64_mask(po, zero), to, r->corr);
  /* lane 2i from the even product, 2i+1 from the odd one: low 32 bits of each shifted sum */
  const __m512i pick = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  return _mm512_permutex2var_epi32(_mm512_sra_epi64(te, r->s), pick, _mm512_sra_epi64(to, r->s));
}

/* An input's rescale for left shift 20. All terms are p / 2^20 for p = (v << 20) * m: the 64-bit
 * form floor((p + 2^30 + 2^(30+rs) - 2^31 n) / 2^(31+rs)) (n = [p < 0]; rs = 0: floor((p + 2^30) /
 * 2^31)) is floor((v*m + 2^10 + 2^(10+rs) - 2^11 n) / 2^(11+rs)) = floor((floor((v*m + 2^10) / 2^11)
 * - n + 2^(rs-1)) / 2^rs), and floor((v*m + 2^10) / 2^11) = v*mh + floor((v*ml + 2^10) / 2^11).
 * |a*mh|, |zp*mh| <= 2^27 and 2^(rs-1) <= 2^30: no int32 overflows. n = [v < 0] for m > 0, [v > 0]
 * for m < 0 (SUB), i.e. (a ^ sm) < (zp ^ sm) with sm = m >> 31 (~ reverses order); m = 0 gives 0
 * whatever n is. */
typedef struct {
  __m512i mh, ml, c1, c2, one, sm, thr;
  __m128i rs;
} in_rescale;

static inline in_rescale in_rescale_of(int32_t offset, int32_t mult, int32_t shift) {
  const int rs = -shift;
  const int32_t mh = mult >> 11, ml = mult & 2047, zp = -offset, sm = mult < 0 ? -1 : 0;
  in_rescale r;
  r.mh = _mm512_set1_epi32(mh);
  r.ml = _mm512_set1_epi32(ml);
  r.c1 = _mm512_set1_epi32(offset * ml + 1024);
  r.c2 = _mm512_set1_epi32(offset * mh + (rs ? (int32_t)(UINT32_C(1) << (rs - 1)) : 0));
  r.one = _mm512_set1_epi32(rs ? 1 : 0);
  r.sm = _mm512_set1_epi32(sm);
  r.thr = _mm512_set1_epi32(zp ^ sm);
  r.rs = _mm_cvtsi32_si128(rs);
  return r;
}

static inline __m512i in_rescale16(__m512i a, const in_rescale* r) {
  const __m512i hi = _mm512_mullo_epi32(a, r->mh);
  const __m512i lo = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(a, r->ml), r->c1), 11);
  __m512i u = _mm512_add_epi32(_mm512_add_epi32(hi, lo), r->c2);
  const __mmask16 n = _mm512_cmplt_epi32_mask(_mm512_xor_si512(a, r->sm), r->thr);
  u = _mm512_mask_sub_epi32(u, n, u, r->one);
  return _mm512_sra_epi32(u, r->rs);
}

typedef struct {
  in_rescale a, b;
  rescale o;
  __m512i zp, lo, hi;
} consts20;

static inline __m128i add16_ls20(__m128i a8, __m128i b8, const consts20* c) {
  const __m512i s = _mm512_add_epi32(in_rescale16(_mm512_cvtepi8_epi32(a8), &c->a),
                                     in_rescale16(_mm512_cvtepi8_epi32(b8), &c->b));
  __m512i r = rescale16(s, &c->o);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, c->zp), c->lo), c->hi);
  return _mm512_cvtepi32_epi8(r);
}

typedef struct {
  rescale a, b, o;
  __m512i a_off, b_off, zp, lo, hi;
  __m128i ls;
} consts;

static inline __m128i add16(__m128i a8, __m128i b8, const consts* c) {
  const __m512i x = _mm512_sll_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(a8), c->a_off), c->ls);
  const __m512i y = _mm512_sll_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(b8), c->b_off), c->ls);
  __m512i r = rescale16(_mm512_add_epi32(rescale16(x, &c->a), rescale16(y, &c->b)), &c->o);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, c->zp), c->lo), c->hi);
  return _mm512_cvtepi32_epi8(r); /* clamped to int8 range: truncation is exact */
}

/* The same outputs from one fp32 expression where it provably gives them, the exact form above where not.
 * With v = a - zp_a, w = b - zp_b, the exact output is clamp(zp + out_pre), out_pre = R_o(R_a(v << 20) +
 * R_b(w << 20)), each R a double rounding RoundingDivideByPOT(SRDHM(., m), rs) whose result is within
 * 1/2 + 2^-(rs+1) <= 1 of its real value x * m * 2^-(31+rs). So the inputs' sum is within 2 of the real
 * X = v * 2^20 * Ma + w * 2^20 * Mb (M = m * 2^-(31+rs)), and out_pre = round(Y + E) for the real
 * Y = v * Ka + w * Kb (K = 2^20 * M * Mo) with |E| <= Eo = 2 Mo + 2^-(rs_o+1) (round: to nearest, either tie
 * rule). The kernel computes y = fma(w, Kb', fma(v, Ka', zp)) in fp32 (K' = K rounded to float):
 * |y - (Y + zp)| <= Ef = 2^-21 (255 (|Ka| + |Kb|) + 128) (K' within 2^-23 of K relatively, two fma roundings of
 * 2^-24 each on values up to 255 (|Ka| + |Kb|) + 128; |v|, |w| <= 255; twice that, for margin). Where y is more
 * than d = Ef + Eo from every half-integer, no half-integer lies between y and Y + zp + E, so y's nearest
 * integer is zp + out_pre; clamping y to [out_min, out_max] first keeps this (both sides of a bound clamp
 * alike). A 64-element chunk with a lane within d of a half-integer is redone by the exact kernel; a call whose
 * chunks are often redone (scales in a simple ratio put many sums on ties) finishes with the exact kernel.
 * Taken only where d < 1/8 (any real ADD: Mo ~ 2^-20, K ~ 1). */
typedef struct {
  __m512 ka, kb, zp, lo, hi, thr; /* thr = 1/2 - d */
  __m512i za, zb;                 /* the zero points, as int32 (v = a - zp_a) */
} fast20;

static int fast20_of(const qs8_add_params* p, fast20* f) {
  double ka, kb, d;
  if (!qs8_add_fp32_form(p, &ka, &kb, &d)) return 0;
  f->ka = _mm512_set1_ps((float)ka);
  f->kb = _mm512_set1_ps((float)kb);
  f->zp = _mm512_set1_ps((float)p->out_zp);
  f->lo = _mm512_set1_ps((float)p->out_min);
  f->hi = _mm512_set1_ps((float)p->out_max);
  f->thr = _mm512_set1_ps((float)(0.5 - d) - 0x1p-20f); /* rounded down, and then some */
  f->za = _mm512_set1_epi32(-p->a_offset);
  f->zb = _mm512_set1_epi32(-p->b_offset);
  return 1;
}

/* 16 outputs and the lanes that need the exact kernel */
static inline __m128i add16_fast(const int8_t* a, const int8_t* b, const fast20* f, __mmask16* near_tie) {
  const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)a)), f->za));
  const __m512 w = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)b)), f->zb));
  __m512 y = _mm512_fmadd_ps(w, f->kb, _mm512_fmadd_ps(v, f->ka, f->zp));
  y = _mm512_min_ps(_mm512_max_ps(y, f->lo), f->hi);
  const __m512 r = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 dist = _mm512_abs_ps(_mm512_sub_ps(y, r)); /* exact: r is y's nearest integer */
  *near_tie = _mm512_cmp_ps_mask(dist, f->thr, _CMP_GT_OQ);
  return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r));
}


void qs8_vadd_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const qs8_add_params* p) {
  if (p->left_shift == 20) { /* int8 ADD / SUB (add.cc) */
    const consts20 c = {in_rescale_of(p->a_offset, p->a_mult, p->a_shift),
                        in_rescale_of(p->b_offset, p->b_mult, p->b_shift), rescale_of(p->out_mult, p->out_shift),
                        _mm512_set1_epi32(p->out_zp), _mm512_set1_epi32(p->out_min), _mm512_set1_epi32(p->out_max)};
    size_t i = 0;
    fast20 f;
    if (n >= EQ_FAST_EXACT_CHUNK && fast20_of(p, &f)) {
#define FAST(k, t) add16_fast(a + (k), b + (k), &f, (t))
#define EXACT(k) add16_ls20(_mm_loadu_si128((const __m128i*)(a + (k))), _mm_loadu_si128((const __m128i*)(b + (k))), &c)
      EQ_FAST_EXACT_CHUNKS(i, n, out, __mmask16, FAST, EXACT);
#undef FAST
#undef EXACT
    }
    for (; i + 16 <= n; i += 16)
      _mm_storeu_si128((__m128i*)(out + i), add16_ls20(_mm_loadu_si128((const __m128i*)(a + i)),
                                                       _mm_loadu_si128((const __m128i*)(b + i)), &c));
    if (i < n) {
      const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
      _mm_mask_storeu_epi8(out + i, k,
                           add16_ls20(_mm_maskz_loadu_epi8(k, a + i), _mm_maskz_loadu_epi8(k, b + i), &c));
    }
    return;
  }
  const consts c = {rescale_of(p->a_mult, p->a_shift), rescale_of(p->b_mult, p->b_shift),
                    rescale_of(p->out_mult, p->out_shift),
                    _mm512_set1_epi32(p->a_offset), _mm512_set1_epi32(p->b_offset), _mm512_set1_epi32(p->out_zp),
                    _mm512_set1_epi32(p->out_min), _mm512_set1_epi32(p->out_max), _mm_cvtsi32_si128(p->left_shift)};
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i*)(out + i), add16(_mm_loadu_si128((const __m128i*)(a + i)),
                                                _mm_loadu_si128((const __m128i*)(b + i)), &c));
  if (i < n) { /* masked lanes are neither read nor written */
    const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
    _mm_mask_storeu_epi8(out + i, k, add16(_mm_maskz_loadu_epi8(k, a + i), _mm_maskz_loadu_epi8(k, b + i), &c));
  }
}
