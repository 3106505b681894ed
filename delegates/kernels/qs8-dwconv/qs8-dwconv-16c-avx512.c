/* AVX-512BW depthwise kernel: 16 channels per step in one int32x16 accumulator, tiles outside
 * and pixels inside so a tile's weights and requantization constants are loaded into
 * registers once per row (3x3: all nine weight vectors stay in registers).
 *
 * MAC with one shuffle per tap: x is sign-extended straight to int32 lanes, weights are
 * zero-extended int16 in int32 lanes, and vpmaddwd then computes x_lo16 * w + x_hi16 * 0 =
 * x * w exactly (x_lo16 is x, the weight's high half is 0). Channel tails use masked
 * loads/stores. Requantization is base/requant-avx512.h's double rounding (bit-exact with
 * eq_mbqm) from per-channel constants precomputed at pack time; when every shift is negative,
 * its one-step form (eq_avx512_mbqm_double_right), with constants made once per tile and row.
 * Full 3x3 tiles take unmasked loads, and in the avx512vnni entry vpdpwssd; so do full tiles of
 * other sizes (5x5, 7x7) there, with their weights widened once per row, two tiles (32 channels) and
 * two pixels at a time where 32 channels are left.
 * Compiled with -mavx512f -mavx512bw -mavx512vl. */
#include <immintrin.h>

#include "base/requant-avx512.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

#define QS8_DW_MAX_FULL_TAPS 49 /* up to 7x7: the stack copy of widened weights (3 KiB) */

typedef struct {
  __m512i bias, mult, mult_odd, lshift, rshift, rmask, rhalf, zp, vmin, vmax;
  int any_left_shift;
  int fp32;               /* mode=fast requant */
  __m512 fscale, flo, fhi;
  int fused;              /* every shift < 0: eq_avx512_mbqm_double_right's one 64-bit step */
  __m512i k_even, k_odd, s_even, s_odd, corr;
  __m128i vmin8, vmax8;   /* clamp bounds as int8, applied after a saturating narrowing */
} tile_consts;

static inline tile_consts load_consts(const uint8_t* tile, const qs8_dw_out_params* p) {
  tile_consts k;
  k.bias = _mm512_loadu_si512((const void*)qs8_dw_tile_bias(tile));
  k.mult = _mm512_loadu_si512((const void*)qs8_dw_tile_mult(tile));
  k.mult_odd = _mm512_loadu_si512((const void*)qs8_dw_tile_i32(tile, QS8_DW_MULT_ODD));
  k.lshift = _mm512_loadu_si512((const void*)qs8_dw_tile_i32(tile, QS8_DW_LSHIFT));
  k.rshift = _mm512_loadu_si512((const void*)qs8_dw_tile_i32(tile, QS8_DW_RSHIFT));
  k.rmask = _mm512_loadu_si512((const void*)qs8_dw_tile_i32(tile, QS8_DW_RMASK));
  k.rhalf = _mm512_loadu_si512((const void*)qs8_dw_tile_i32(tile, QS8_DW_RHALF));
  k.zp = _mm512_set1_epi32(p->out_zp);
  k.vmin = _mm512_set1_epi32(p->out_min);
  k.vmax = _mm512_set1_epi32(p->out_max);
  k.any_left_shift = p->any_left_shift;
  k.fp32 = p->fp32;
  k.fscale = _mm512_loadu_ps(qs8_dw_tile_fscale(tile));
  k.flo = _mm512_set1_ps((float)(p->out_min - p->out_zp));
  k.fhi = _mm512_set1_ps((float)(p->out_max - p->out_zp));
  k.vmin8 = _mm_set1_epi8((char)p->out_min);
  k.vmax8 = _mm_set1_epi8((char)p->out_max);
  k.fused = !p->fp32 && p->right_only;
  if (k.fused) { /* rs in [1, 31] on every channel (lanes past the last channel are never stored) */
    const __m512i rs_even = _mm512_and_si512(k.rshift, _mm512_set1_epi64(0xFFFFFFFF));
    const __m512i rs_odd = _mm512_srli_epi64(k.rshift, 32);
    const __m512i b30 = _mm512_set1_epi64(INT64_C(1) << 30);
    k.k_even = _mm512_add_epi64(b30, _mm512_sllv_epi64(b30, rs_even));
    k.k_odd = _mm512_add_epi64(b30, _mm512_sllv_epi64(b30, rs_odd));
    k.s_even = _mm512_add_epi64(rs_even, _mm512_set1_epi64(31));
    k.s_odd = _mm512_sub_epi64(rs_odd, _mm512_set1_epi64(1));
    k.corr = _mm512_set1_epi64(INT64_C(1) << 31);
  }
  return k;
}

/* Double rounding from the tile's constants (or fp32 in mode=fast), zero point, clamp. No
 * multiplier is INT32_MIN here (the plan falls back to another variant otherwise), so the
 * saturation step is left out. */
static inline __m128i requant(__m512i x, const tile_consts* k) {
  if (k->fp32) return _mm512_cvtepi32_epi8(eq_avx512_requant_fp32(x, k->fscale, k->flo, k->fhi, k->zp));
  const __m512i q = k->fused ? eq_avx512_mbqm_double_right(x, k->mult, k->mult_odd, k->k_even, k->k_odd, k->s_even,
                                                           k->s_odd, k->corr)
                             : eq_avx512_mbqm_double(x, k->mult, k->mult_odd, k->lshift, k->rshift, k->rmask,
                                                     k->rhalf, k->any_left_shift ? (__mmask16)0xFFFF : (__mmask16)0, 0);
  /* zero point in int32, saturating narrowing, then the clamp on 16 bytes (bounds lie in [-128, 127]) */
  const __m128i b = _mm512_cvtsepi32_epi8(_mm512_add_epi32(q, k->zp));
  return _mm_min_epi8(_mm_max_epi8(b, k->vmin8), k->vmax8);
}

static inline __m512i weight_vec(const int16_t* w, size_t t) {
  return _mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i*)(w + t * QS8_DW_CT)));
}

static inline __m512i mac(__m512i acc, const int8_t* x, __mmask16 m, __m512i w) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x)), w));
}

/* Unmasked tap (full 16-channel tile): the load folds into vpmovsxbd's memory operand. */
static inline __m512i mac_full(__m512i acc, const int8_t* x, __m512i w) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)x)), w));
}

/* Same with VNNI's vpdpwssd: madd + add in one instruction, identical sums (no saturation;
 * each product pair is x * w + 0 * 0, as above). Inlined only into the target("avx512vnni")
 * row function below, which only qs8_dwconv_16c_avx512vnni calls. */
static inline __attribute__((target("avx512vnni"))) __m512i mac_full_vnni(__m512i acc, const int8_t* x,
                                                                           __m512i w) {
  return _mm512_dpwssd_epi32(acc, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)x)), w);
}

/* 3x3 body: nine weight vectors in registers for the whole row; two accumulators split the
 * dependency chain. MAC(acc, x, w) is one tap. */
#define TILE_ROW9_BODY(MAC)                                                                              \
  const tile_consts k = load_consts(tile, p);                                                            \
  const int16_t* w = qs8_dw_tile_w(tile);                                                                \
  const __m512i w0 = weight_vec(w, 0), w1 = weight_vec(w, 1), w2 = weight_vec(w, 2), w3 = weight_vec(w, 3), \
                w4 = weight_vec(w, 4), w5 = weight_vec(w, 5), w6 = weight_vec(w, 6), w7 = weight_vec(w, 7), \
                w8 = weight_vec(w, 8);                                                                   \
  for (size_t px = 0; px < pixels; ++px, ind += 9, out += out_stride) {                                  \
    __m512i a = MAC(k.bias, ind[0] + c0, w0), b = MAC(_mm512_setzero_si512(), ind[1] + c0, w1);          \
    a = MAC(a, ind[2] + c0, w2);                                                                         \
    b = MAC(b, ind[3] + c0, w3);                                                                         \
    a = MAC(a, ind[4] + c0, w4);                                                                         \
    b = MAC(b, ind[5] + c0, w5);                                                                         \
    a = MAC(a, ind[6] + c0, w6);                                                                         \
    b = MAC(b, ind[7] + c0, w7);                                                                         \
    a = MAC(a, ind[8] + c0, w8);                                                                         \
    STORE_ROW9(out + c0, requant(_mm512_add_epi32(a, b), &k));                                           \
  }

#define MAC_MASKED(acc, x, w) mac(acc, x, m, w)
#define STORE_ROW9(dst, v) _mm_mask_storeu_epi8(dst, m, v)
/* channel tail (fewer than 16 channels): masked loads and stores */
static void tile_row9(size_t pixels, const int8_t* const* ind, size_t c0, __mmask16 m, const uint8_t* tile,
                      const qs8_dw_out_params* p, int8_t* out, size_t out_stride) {
  TILE_ROW9_BODY(MAC_MASKED)
}
#undef STORE_ROW9
#define STORE_ROW9(dst, v) _mm_storeu_si128((__m128i*)(dst), v)
static void tile_row9_full(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile,
                           const qs8_dw_out_params* p, int8_t* out, size_t out_stride) {
  TILE_ROW9_BODY(mac_full)
}
static __attribute__((target("avx512vnni"))) void tile_row9_full_vnni(size_t pixels, const int8_t* const* ind,
                                                                     size_t c0, const uint8_t* tile,
                                                                     const qs8_dw_out_params* p, int8_t* out,
                                                                     size_t out_stride) {
  TILE_ROW9_BODY(mac_full_vnni)
}
#undef STORE_ROW9

static void tile_row(size_t taps, size_t pixels, const int8_t* const* ind, size_t c0, __mmask16 m,
                     const uint8_t* tile, const qs8_dw_out_params* p, int8_t* out, size_t out_stride) {
  const tile_consts k = load_consts(tile, p);
  const int16_t* w = qs8_dw_tile_w(tile);
  for (size_t px = 0; px < pixels; ++px, ind += taps, out += out_stride) {
    __m512i acc = k.bias;
    for (size_t t = 0; t < taps; ++t) acc = mac(acc, ind[t] + c0, m, weight_vec(w, t));
    _mm_mask_storeu_epi8(out + c0, m, requant(acc, &k));
  }
}

/* Full tile, any tap count (5x5 and others), VNNI: the tile's weights widened to int32 once into a
 * stack copy, so each tap is one sign-extending load of x and one vpdpwssd reading the weight
 * from memory (the generic row above widens both per tap); two accumulators alternate. */
static __attribute__((target("avx512vnni"))) void tile_row_full_vnni(size_t taps, size_t pixels,
                                                                    const int8_t* const* ind, size_t c0,
                                                                    const uint8_t* tile, const qs8_dw_out_params* p,
                                                                    int8_t* out, size_t out_stride) {
  const tile_consts k = load_consts(tile, p);
  const int16_t* w = qs8_dw_tile_w(tile);
  __m512i wv[QS8_DW_MAX_FULL_TAPS];
  for (size_t t = 0; t < taps; ++t) wv[t] = weight_vec(w, t);
  for (size_t px = 0; px < pixels; ++px, ind += taps, out += out_stride) {
    __m512i a = k.bias, b = _mm512_setzero_si512();
    size_t t = 0;
    for (; t + 2 <= taps; t += 2) {
      a = mac_full_vnni(a, ind[t] + c0, wv[t]);
      b = mac_full_vnni(b, ind[t + 1] + c0, wv[t + 1]);
    }
    if (t < taps) a = mac_full_vnni(a, ind[t] + c0, wv[t]);
    _mm_storeu_si128((__m128i*)(out + c0), requant(_mm512_add_epi32(a, b), &k));
  }
}

/* Two full tiles (32 channels) of two pixels at a time, any tap count up to QS8_DW_MAX_FULL_TAPS, VNNI:
 * each pointer load serves both tiles and each widened weight load both pixels, so a tap of one tile
 * and pixel takes two loads (x, and half a weight and half a pointer) instead of three; eight
 * accumulators (tile x pixel x even/odd tap). The sums are the single-tile row's, term for term. */
static __attribute__((target("avx512vnni"))) void tile2_row_full_vnni(size_t taps, size_t pixels,
                                                                     const int8_t* const* ind, size_t c0,
                                                                     const uint8_t* tile0, const uint8_t* tile1,
                                                                     const qs8_dw_out_params* p, int8_t* out,
                                                                     size_t out_stride) {
  const tile_consts k0 = load_consts(tile0, p), k1 = load_consts(tile1, p);
  const int16_t *w0 = qs8_dw_tile_w(tile0), *w1 = qs8_dw_tile_w(tile1);
  __m512i wv0[QS8_DW_MAX_FULL_TAPS], wv1[QS8_DW_MAX_FULL_TAPS];
  for (size_t t = 0; t < taps; ++t) wv0[t] = weight_vec(w0, t), wv1[t] = weight_vec(w1, t);
  const size_t c1 = c0 + QS8_DW_CT;
  size_t px = 0;
  for (; px + 2 <= pixels; px += 2, ind += 2 * taps, out += 2 * out_stride) {
    const int8_t* const* i1 = ind + taps;
    __m512i a00 = k0.bias, a10 = k1.bias, a01 = k0.bias, a11 = k1.bias; /* a<tile><pixel> */
    __m512i b00 = _mm512_setzero_si512(), b10 = b00, b01 = b00, b11 = b00;
    size_t t = 0;
    for (; t + 2 <= taps; t += 2) {
      const int8_t *x0 = ind[t], *x1 = i1[t], *y0 = ind[t + 1], *y1 = i1[t + 1];
      a00 = mac_full_vnni(a00, x0 + c0, wv0[t]);
      a01 = mac_full_vnni(a01, x1 + c0, wv0[t]);
      a10 = mac_full_vnni(a10, x0 + c1, wv1[t]);
      a11 = mac_full_vnni(a11, x1 + c1, wv1[t]);
      b00 = mac_full_vnni(b00, y0 + c0, wv0[t + 1]);
      b01 = mac_full_vnni(b01, y1 + c0, wv0[t + 1]);
      b10 = mac_full_vnni(b10, y0 + c1, wv1[t + 1]);
      b11 = mac_full_vnni(b11, y1 + c1, wv1[t + 1]);
    }
    if (t < taps) {
      const int8_t *x0 = ind[t], *x1 = i1[t];
      a00 = mac_full_vnni(a00, x0 + c0, wv0[t]);
      a01 = mac_full_vnni(a01, x1 + c0, wv0[t]);
      a10 = mac_full_vnni(a10, x0 + c1, wv1[t]);
      a11 = mac_full_vnni(a11, x1 + c1, wv1[t]);
    }
    _mm_storeu_si128((__m128i*)(out + c0), requant(_mm512_add_epi32(a00, b00), &k0));
    _mm_storeu_si128((__m128i*)(out + c1), requant(_mm512_add_epi32(a10, b10), &k1));
    _mm_storeu_si128((__m128i*)(out + out_stride + c0), requant(_mm512_add_epi32(a01, b01), &k0));
    _mm_storeu_si128((__m128i*)(out + out_stride + c1), requant(_mm512_add_epi32(a11, b11), &k1));
  }
  if (px < pixels) { /* the last pixel of an odd count */
    __m512i a0 = k0.bias, a1 = k1.bias, b0 = _mm512_setzero_si512(), b1 = b0;
    size_t t = 0;
    for (; t + 2 <= taps; t += 2) {
      const int8_t *x = ind[t], *y = ind[t + 1];
      a0 = mac_full_vnni(a0, x + c0, wv0[t]);
      a1 = mac_full_vnni(a1, x + c1, wv1[t]);
      b0 = mac_full_vnni(b0, y + c0, wv0[t + 1]);
      b1 = mac_full_vnni(b1, y + c1, wv1[t + 1]);
    }
    if (t < taps) {
      a0 = mac_full_vnni(a0, ind[t] + c0, wv0[t]);
      a1 = mac_full_vnni(a1, ind[t] + c1, wv1[t]);
    }
    _mm_storeu_si128((__m128i*)(out + c0), requant(_mm512_add_epi32(a0, b0), &k0));
    _mm_storeu_si128((__m128i*)(out + c1), requant(_mm512_add_epi32(a1, b1), &k1));
  }
}

static inline __attribute__((always_inline)) void run_tiles(size_t channels, size_t taps, size_t pixels,
                                                            const int8_t* const* ind, const void* packed,
                                                            int8_t* out, size_t out_stride,
                                                            const qs8_dw_out_params* p, int vnni) {
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps);
  const uint8_t* tile = (const uint8_t*)packed;
  for (size_t c0 = 0; c0 < channels; c0 += QS8_DW_CT, tile += tile_bytes) {
    const size_t n = channels - c0;
    const __mmask16 m = n >= QS8_DW_CT ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    if (taps != 9 && n >= 2 * QS8_DW_CT && vnni && taps <= QS8_DW_MAX_FULL_TAPS) {
      tile2_row_full_vnni(taps, pixels, ind, c0, tile, tile + tile_bytes, p, out, out_stride);
      c0 += QS8_DW_CT, tile += tile_bytes; /* the loop steps past the second tile */
    } else if (taps == 9 && n >= QS8_DW_CT && vnni)
      tile_row9_full_vnni(pixels, ind, c0, tile, p, out, out_stride);
    else if (taps == 9 && n >= QS8_DW_CT)
      tile_row9_full(pixels, ind, c0, tile, p, out, out_stride);
    else if (taps == 9)
      tile_row9(pixels, ind, c0, m, tile, p, out, out_stride);
    else if (n >= QS8_DW_CT && vnni && taps <= QS8_DW_MAX_FULL_TAPS)
      tile_row_full_vnni(taps, pixels, ind, c0, tile, p, out, out_stride);
    else
      tile_row(taps, pixels, ind, c0, m, tile, p, out, out_stride);
  }
}

void qs8_dwconv_16c_avx512(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                           const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  run_tiles(channels, taps, pixels, ind, packed, out, out_stride, p, 0);
}

/* The same with vpdpwssd for full 3x3 tiles; the plan selects it only where the CPU has
 * AVX512-VNNI. */
void qs8_dwconv_16c_avx512vnni(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  run_tiles(channels, taps, pixels, ind, packed, out, out_stride, p, 1);
}
