/* Depthwise plan: weight packing (once, at prepare time), variant selection, indirection rows. */
#include <stdlib.h>
#include <string.h>

#include "base/int4.h"
#include "base/requant.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

struct qs8_dwconv_plan {
  edgeq_isa isa;
  qs8_dw_ukernel_fn fn;
  size_t channels, taps;
  qs8_dw_out_params out;
  void* packed;
  int8_t* zero_row;
};

static qs8_dw_ukernel_fn ukernel_for(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return qs8_dwconv_16c_scalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return qs8_dwconv_16c_avx2;
#endif
#if defined(EDGEQ_HAVE_AVX512)
    case EDGEQ_ISA_AVX512: return qs8_dwconv_16c_avx512;
    case EDGEQ_ISA_AVX512VNNI: return qs8_dwconv_16c_avx512vnni;
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return qs8_dwconv_16c_neon;
#endif
#if defined(EDGEQ_HAVE_NEON_DOT)
    case EDGEQ_ISA_NEON_DOT: return qs8_dwconv_16c4_neondot;
#endif
    default: return NULL;
  }
}

int qs8_dwconv_isa_available(edgeq_isa isa) { return ukernel_for(isa) != NULL && edgeq_isa_supported(isa); }

/* Best first; the AVX-512 variants leave out the saturation of an INT32_MIN multiplier, which
 * QuantizeMultiplier never produces (plans with one skip them). */
static edgeq_isa best_isa(int avx512_ok) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AVX512VNNI, EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX2,
                                         EDGEQ_ISA_NEON_DOT,   EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); ++i) {
    const edgeq_isa isa = best_first[i];
    if ((avx512_ok || (isa != EDGEQ_ISA_AVX512 && isa != EDGEQ_ISA_AVX512VNNI)) && ukernel_for(isa) != NULL &&
        edgeq_isa_enabled(isa))
      return isa;
  }
  return EDGEQ_ISA_SCALAR;
}

edgeq_isa qs8_dwconv_best_isa(void) { return best_isa(1); }

static int32_t weight_at(const qs8_dwconv_desc* d, size_t i) {
  if (d->weight_bits == 8) return ((const int8_t*)d->weights)[i];
  return eq_int4_at((const uint8_t*)d->weights, i);
}

/* One tile: channels c_first.. (up to QS8_DW_CT of them) into the zeroed tile at base; clears
 * p->out.w8_pairs on a -128 weight and sets p->out.any_left_shift. */
static void pack_tile(qs8_dwconv_plan* p, const qs8_dwconv_desc* d, uint8_t* base, size_t c_first) {
  int32_t* bias = (int32_t*)base;
  int32_t* mult = bias + QS8_DW_CT;
  int32_t* shift = mult + QS8_DW_CT;
  int32_t* mult_odd = shift + QS8_DW_CT;
  int32_t* lshift = mult_odd + QS8_DW_CT;
  int32_t* rshift = lshift + QS8_DW_CT;
  int32_t* rmask = rshift + QS8_DW_CT;
  int32_t* rhalf = rmask + QS8_DW_CT;
  float* fscale = (float*)(rhalf + QS8_DW_CT);
  int16_t* w = (int16_t*)(fscale + QS8_DW_CT);
  int8_t* w8 = (int8_t*)(w + p->taps * QS8_DW_CT);
  int8_t* wdot = w8 + QS8_DW_W8_BYTES(p->taps);
  const int single_last = p->taps % 4 == 1; /* stored in channel order (one smull) */
  for (size_t j = 0; j < QS8_DW_CT; ++j) {
    const size_t c = c_first + j;
    if (c >= p->channels) break;
    uint32_t sum = 0;
    for (size_t t = 0; t < p->taps; ++t) {
      const int32_t v = weight_at(d, t * p->channels + c);
      w[t * QS8_DW_CT + j] = (int16_t)v;
      w8[t * QS8_DW_CT + j] = (int8_t)v;
      const size_t g = t / 4;
      wdot[g * 4 * QS8_DW_CT + (single_last && t + 1 == p->taps ? j : j * 4 + t % 4)] = (int8_t)v;
      if (v == -128) p->out.w8_pairs = 0;
      sum += (uint32_t)v;
    }
    /* padding taps read in_zp, so sum_t W*(x - zp) = sum_t W*x - zp*sum_t W for every pixel */
    bias[j] = (int32_t)((d->bias ? (uint32_t)d->bias[c] : 0u) - (uint32_t)d->in_zero_point * sum);
    mult[j] = d->multiplier[c];
    shift[j] = d->shift[c];
    lshift[j] = shift[j] > 0 ? shift[j] : 0;
    rshift[j] = shift[j] < 0 ? -shift[j] : 0;
    rmask[j] = (int32_t)((1u << rshift[j]) - 1u);
    rhalf[j] = rmask[j] >> 1;
    fscale[j] = eq_multiplier_to_float(mult[j], shift[j]);
    if (lshift[j]) p->out.any_left_shift = 1;
  }
  for (size_t j = 0; j + 1 < QS8_DW_CT; j += 2) mult_odd[j] = mult[j + 1];
}

qs8_dwconv_plan* qs8_dwconv_plan_create(const qs8_dwconv_desc* d, edgeq_isa isa) {
  return qs8_dwconv_plan_create_requant(d, isa, QS8_DW_REQUANT_EXACT);
}

qs8_dwconv_plan* qs8_dwconv_plan_create_requant(const qs8_dwconv_desc* d, edgeq_isa isa,
                                                qs8_dw_requant requant) {
  if (requant != QS8_DW_REQUANT_EXACT && requant != QS8_DW_REQUANT_FP32) return NULL;
  if (!d || d->channels <= 0 || d->taps <= 0 || !d->weights || !d->multiplier || !d->shift) return NULL;
  if ((d->weight_bits != 8 && d->weight_bits != 4) || d->out_min > d->out_max) return NULL;
  int avx512_ok = 1;
  for (int32_t c = 0; c < d->channels; ++c)
    if (d->multiplier[c] == INT32_MIN) avx512_ok = 0;
  if (isa == EDGEQ_ISA_AUTO) isa = best_isa(avx512_ok);
  if (!qs8_dwconv_isa_available(isa)) return NULL;
  if (!avx512_ok && (isa == EDGEQ_ISA_AVX512 || isa == EDGEQ_ISA_AVX512VNNI)) return NULL;
  qs8_dwconv_plan* p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->isa = isa;
  p->fn = ukernel_for(isa);
  p->channels = (size_t)d->channels;
  p->taps = (size_t)d->taps;
  p->out.out_zp = d->out_zero_point;
  p->out.out_min = d->out_min;
  p->out.out_max = d->out_max;
  p->out.fp32 = requant == QS8_DW_REQUANT_FP32;
  p->out.w8_pairs = 1; /* cleared below if a weight is -128 */
  p->out.right_only = 1;
  for (int32_t c = 0; c < d->channels; ++c)
    if (d->shift[c] >= 0) p->out.right_only = 0;
  /* the zero-padded tiles, then the overlap tile of a channel tail (see qs8-dwconv-ukernel.h) */
  const size_t tiles = (p->channels + QS8_DW_CT - 1) / QS8_DW_CT;
  const int overlap = p->channels > QS8_DW_CT && p->channels % QS8_DW_CT != 0;
  const size_t tile_bytes = QS8_DW_TILE_BYTES(p->taps), bytes = (tiles + (size_t)overlap) * tile_bytes;
  if (posix_memalign(&p->packed, 64, bytes) != 0) p->packed = NULL;
  p->zero_row = malloc(p->channels);
  if (!p->packed || !p->zero_row) {
    qs8_dwconv_plan_destroy(p);
    return NULL;
  }
  memset(p->packed, 0, bytes);
  memset(p->zero_row, (int8_t)d->in_zero_point, p->channels);
  for (size_t tile = 0; tile < tiles; ++tile) pack_tile(p, d, (uint8_t*)p->packed + tile * tile_bytes, tile * QS8_DW_CT);
  if (overlap) pack_tile(p, d, (uint8_t*)p->packed + tiles * tile_bytes, p->channels - QS8_DW_CT);
  return p;
}

void qs8_dwconv_plan_destroy(qs8_dwconv_plan* p) {
  if (!p) return;
  free(p->packed);
  free(p->zero_row);
  free(p);
}

edgeq_isa qs8_dwconv_plan_isa(const qs8_dwconv_plan* p) { return p->isa; }
const int8_t* qs8_dwconv_plan_zero_row(const qs8_dwconv_plan* p) { return p->zero_row; }

void qs8_dwconv_run(const qs8_dwconv_plan* p, size_t pixels, const int8_t* const* ind, int8_t* out,
                    size_t out_stride) {
  p->fn(p->channels, p->taps, pixels, ind, p->packed, out, out_stride, &p->out);
}

void qs8_dwconv_indirect_row(const qs8_dw_geometry* g, const int8_t* image, const int8_t* zero_row, int oy,
                             const int8_t** ind) {
  const size_t row_bytes = (size_t)g->in_w * (size_t)g->channels;
  const int iy0 = oy * g->sh - g->pad_top;
  for (int ox = 0; ox < g->out_w; ++ox) {
    const int ix0 = ox * g->sw - g->pad_left;
    for (int ky = 0; ky < g->kh; ++ky) {
      const int iy = iy0 + ky * g->dh;
      const int row_ok = iy >= 0 && iy < g->in_h;
      for (int kx = 0; kx < g->kw; ++kx) {
        const int ix = ix0 + kx * g->dw;
        *ind++ = row_ok && ix >= 0 && ix < g->in_w ? image + (size_t)iy * row_bytes + (size_t)ix * g->channels
                                                   : zero_row;
      }
    }
  }
}
