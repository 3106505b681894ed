/* Dispatcher of the qs8 GEMM families (int8 and int4 weights): variant selection, weight
 * packing, plan lifetime, and the row/tile loops that feed the micro-kernels (see
 * qs8-gemm-ukernel.h for the packed layouts). */
#define _POSIX_C_SOURCE 200112L /* posix_memalign: also on libcs without C11 aligned_alloc */
#include "qs8-gemm/qs8-gemm.h"

#if defined(__SSE2__)
#include <emmintrin.h> /* baseline on x86-64: pack_a_sums */
#endif

#include <stdlib.h>
#include <string.h>

#include "base/copy.h"
#include "base/int4.h"
#include "base/requant.h"
#include "qs8-gemm/qs8-gemm-ukernel.h"

struct qs8_gemm_plan {
  edgeq_isa isa;
  const qs8_ukernel_info* uk;
  int32_t n, k, kc;
  int weight_bits;
  size_t n_tiles, tile_bytes, weight_bytes;
  uint8_t* weights;  /* n_tiles * tile_bytes, 64-byte aligned */
  int32_t* bias;     /* folded; each per-channel array padded to n_tiles * nr */
  int32_t* bias_s8;  /* AMX plans: folded without the activation offset (signed x signed) */
  int32_t* mult;
  int32_t* shift;
  int32_t* lshift;   /* DOUBLE split for the NEON kernels: max(shift, 0), min(shift, 0), mask */
  int32_t* rshift;
  int32_t* zmask;
  int32_t right_only; /* every shift < 0 */
  float* scale;      /* QS8_REQUANT_FP32: multiplier * 2^(shift - 31), padded like mult */
  qs8_rounding rounding;
  int32_t c_zp, c_min, c_max;
};

/* mr, nr, kr, kpad, int4 group, A format, A offset, int8 kernels, int4 kernels */
static const qs8_ukernel_info kScalar = {1, 4, 1, 2, 8, QS8_A_INT8, 0,
                                         qs8_gemm_1x4_scalar, qs8_qc4w_gemm_1x4_scalar, NULL, NULL, NULL, NULL, 0};
#if defined(EDGEQ_HAVE_AVX2)
static const qs8_ukernel_info kAvx2 = {4, 16, 2, 2, 32, QS8_A_INT16, 0,
                                       qs8_gemm_4x16c2_avx2, qs8_qc4w_gemm_4x16c2_avx2, NULL, NULL, NULL, NULL, 0};
#endif
#if defined(EDGEQ_HAVE_AVX512VNNI)
static const qs8_ukernel_info kAvx512Vnni = {4, 16, 4, 8, 64, QS8_A_UINT8, 128,
                                             qs8_gemm_8x16c4_avx512vnni, /* rows 1-4 */
                                             qs8_qc4w_gemm_4x16c4_avx512vnni, NULL, NULL, NULL, NULL, 0};
/* int8 weights: 8 rows per tile (each weight load and requant setup feeds 8 rows); int4 keeps
 * the 4-row kernel above. Same nr / kr / kpad / A format, so packing is unchanged. */
static const qs8_ukernel_info kAvx512Vnni8 = {8, 16, 4, 8, 64, QS8_A_UINT8, 128,
                                              qs8_gemm_8x16c4_avx512vnni,
                                              qs8_qc4w_gemm_4x16c4_avx512vnni,
                                              qs8_gemm_8x16c4_avx512vnni_rows, NULL, NULL,
                                              qs8_gemm_8x32c4_avx512vnni_rows, 0};
/* int4 weights, k <= QS8_QC4W_X16_MAX_K: two step quads per 64-byte group, unpacked by mask and
 * shift (about half the ops of the vpshufb kernel above, which serves larger k) */
static const qs8_ukernel_info kAvx512VnniInt4 = {4, 16, 4, 8, 128, QS8_A_UINT8, 128,
                                                 qs8_gemm_8x16c4_avx512vnni, qs8_qc4w_gemm_4x16c4_avx512vnni_x16,
                                                 NULL, NULL, NULL, NULL, 0};
/* the same for plans of one-row calls (FC at batch 1): nibbles w + 8 as vpdpbusd's unsigned operand,
 * 2 unpack ops per two weight vectors instead of 3; signed activations, their row sums taken while
 * packing (the 1-4 row loop of kAvx512VnniInt4 shares its unpacking across rows and stays there) */
static const qs8_ukernel_info kAvx512VnniInt4Gemv = {4, 16, 4, 8, 128, QS8_A_INT8, 0,
                                                     qs8_gemm_8x16c4_avx512vnni, qs8_qc4w_gemm_4x16c4_avx512vnni_x16o8,
                                                     NULL, NULL, NULL, NULL, 1};
#endif
#if defined(EDGEQ_HAVE_AMX)
/* int8 weights on AMX CPUs: the VNNI packing with kc a multiple of 64 (whole B tiles); blocks of
 * 16 rows and more run on AMX tiles (qs8_gemm_32x32c4_avx512amx), the rest on the VNNI kernel. */
#define QS8_AMX_MIN_ROWS 8 /* fewer rows: the VNNI kernel */
static const qs8_ukernel_info kAmx = {8, 16, 4, 64, 64, QS8_A_UINT8, 128,
                                      qs8_gemm_8x16c4_avx512vnni, qs8_qc4w_gemm_4x16c4_avx512vnni,
                                      qs8_gemm_8x16c4_avx512vnni_rows, NULL, NULL, NULL, 0};
#endif
#if defined(EDGEQ_HAVE_NEON)
/* int8 weights without -128 (two products fit int16): 2x8 tiles, 16 steps per smull + smlal2 +
 * sadalp, A read in place; otherwise the 4x8 smlal-by-lane kernel below (int8 only). */
static const qs8_ukernel_info kNeonC16 = {2, 8, 16, 16, 128, QS8_A_INT8, 0,
                                          NULL, NULL, NULL, qs8_gemm_2x8c16_neon, NULL, NULL, 0};
/* int4 weights: 2x8, one 16-step block per 64-byte group, four products per int16 lane. */
static const qs8_ukernel_info kNeonC16Int4 = {2, 8, 16, 16, 128, QS8_A_INT8, 0,
                                              NULL, NULL, NULL, qs8_qc4w_gemm_2x8c16_neon, NULL, NULL, 0};
static const qs8_ukernel_info kNeon = {4, 8, 1, 8, 16, QS8_A_INT8, 0,
                                       qs8_gemm_4x8_neon, NULL, NULL, NULL, NULL, NULL, 0};
#endif
#if defined(EDGEQ_HAVE_NEON_DOT)
/* int8 weights: 4x16 tiles reading A in place; int4 keeps the 4x8 kernel (packed A). */
static const qs8_ukernel_info kNeonDot = {4, 8, 4, 16, 32, QS8_A_INT8, 0,
                                          NULL, qs8_qc4w_gemm_4x8c4_neondot, NULL, NULL, NULL, NULL, 0};
static const qs8_ukernel_info kNeonDot16 = {4, 16, 4, 4, 64, QS8_A_INT8, 0,
                                            NULL, NULL, NULL, qs8_gemm_4x16c4_neondot,
                                            qs8_gemm_4x16c4_neondot_half, NULL, 0};
/* int4 weights, k < 131072 (its sums are 16 x the true ones): 4x16, two step quads per 64-byte
 * group (low / high nibbles), A in place. Also used on i8mm CPUs: fewer instructions than the
 * smmla int4 kernel, whose A is packed in row pairs per call. */
static const qs8_ukernel_info kNeonDot16Int4 = {4, 16, 4, 8, 128, QS8_A_INT8, 0,
                                                NULL, NULL, NULL, qs8_qc4w_gemm_4x16c4_neondot, NULL, NULL, 0};
#endif
#if defined(EDGEQ_HAVE_NEON_I8MM)
/* int8 weights: 4x16 tiles reading A in place; int4 keeps the 4x8 kernel (A packed in pairs). */
static const qs8_ukernel_info kNeonI8mm = {4, 8, 8, 8, 64, QS8_A_INT8_PAIRS_C8, 0,
                                           NULL, qs8_qc4w_gemm_4x8c8_neoni8mm, NULL, NULL, NULL, NULL, 0};
static const qs8_ukernel_info kNeonI8mm16 = {4, 16, 8, 8, 128, QS8_A_INT8, 0,
                                             NULL, NULL, NULL, qs8_gemm_4x16c8_neoni8mm,
                                             qs8_gemm_4x16c8_neoni8mm_half, NULL, 0};
#endif

static const qs8_ukernel_info* ukernel_for(edgeq_isa isa);

/* Kernel set of a plan; weight_bits picks between sets of one ISA (int4 entries are only
 * valid up to their own MR, so a set is used with one weight width). */
static const qs8_ukernel_info* ukernel_for_bits(edgeq_isa isa, int weight_bits, int has_w_min, int32_t k,
                                                int32_t m_hint) {
#if defined(EDGEQ_HAVE_NEON_DOT)
  /* one row per call (FC at batch 1): SDOT reads the row once, SMMLA pairs it with itself */
  if (isa == EDGEQ_ISA_NEON_I8MM && weight_bits == 8 && m_hint == 1 && edgeq_isa_supported(EDGEQ_ISA_NEON_DOT))
    return &kNeonDot16;
#endif
  (void)m_hint;
#if defined(EDGEQ_HAVE_AVX512VNNI)
  if ((isa == EDGEQ_ISA_AVX512VNNI || isa == EDGEQ_ISA_AMX) && weight_bits == 4 && k <= QS8_QC4W_X16_MAX_K)
    return m_hint == 1 ? &kAvx512VnniInt4Gemv : &kAvx512VnniInt4;
#endif
#if defined(EDGEQ_HAVE_AMX)
  /* k <= 24: a tile's 64 steps would be mostly empty; the VNNI kernel is as fast or faster there
   * (kernel bench, min us VNNI / AMX: 12544x96x16 284 / 309, 3136x144x24 115 / 119,
   * 12544x32x27 161 / 123, 784x192x32 42 / 40) */
  if (isa == EDGEQ_ISA_AMX && weight_bits == 8) return k > 24 ? &kAmx : &kAvx512Vnni8;
#endif
#if defined(EDGEQ_HAVE_NEON_DOT)
  if ((isa == EDGEQ_ISA_NEON_DOT || (isa == EDGEQ_ISA_NEON_I8MM && edgeq_isa_supported(EDGEQ_ISA_NEON_DOT))) &&
      weight_bits == 4 && k < 131072)
    return &kNeonDot16Int4;
#endif
  (void)k;
#if defined(EDGEQ_HAVE_NEON)
  if (isa == EDGEQ_ISA_NEON && weight_bits == 8 && !has_w_min) return &kNeonC16;
  if (isa == EDGEQ_ISA_NEON && weight_bits == 4) return &kNeonC16Int4;
#endif
  (void)has_w_min;
#if defined(EDGEQ_HAVE_AVX512VNNI)
  if (isa == EDGEQ_ISA_AVX512VNNI && weight_bits == 8) return &kAvx512Vnni8;
#endif
#if defined(EDGEQ_HAVE_NEON_DOT)
  if (isa == EDGEQ_ISA_NEON_DOT && weight_bits == 8) return &kNeonDot16;
#endif
#if defined(EDGEQ_HAVE_NEON_I8MM)
  if (isa == EDGEQ_ISA_NEON_I8MM && weight_bits == 8) return &kNeonI8mm16;
#endif
  (void)weight_bits;
  return ukernel_for(isa);
}

static const qs8_ukernel_info* ukernel_for(edgeq_isa isa) {
  switch (isa) {
    case EDGEQ_ISA_SCALAR: return &kScalar;
#if defined(EDGEQ_HAVE_AVX2)
    case EDGEQ_ISA_AVX2: return &kAvx2;
#endif
#if defined(EDGEQ_HAVE_AVX512VNNI)
    case EDGEQ_ISA_AVX512VNNI: return &kAvx512Vnni;
#endif
#if defined(EDGEQ_HAVE_AMX)
    case EDGEQ_ISA_AMX: return &kAvx512Vnni; /* int4 plans: the VNNI kernels */
#endif
#if defined(EDGEQ_HAVE_NEON)
    case EDGEQ_ISA_NEON: return &kNeon;
#endif
#if defined(EDGEQ_HAVE_NEON_DOT)
    case EDGEQ_ISA_NEON_DOT: return &kNeonDot;
#endif
#if defined(EDGEQ_HAVE_NEON_I8MM)
    case EDGEQ_ISA_NEON_I8MM: return &kNeonI8mm;
#endif
    default: return NULL;
  }
}

/* Whether this CPU (and OS) can run the variant; variants not compiled in are never available. */
static int isa_available(edgeq_isa isa) { return ukernel_for(isa) != NULL && edgeq_isa_supported(isa); }

edgeq_isa qs8_gemm_best_isa(void) {
  static const edgeq_isa best_first[] = {EDGEQ_ISA_AMX, EDGEQ_ISA_AVX512VNNI, EDGEQ_ISA_AVX2, EDGEQ_ISA_NEON_I8MM,
                                         EDGEQ_ISA_NEON_DOT, EDGEQ_ISA_NEON};
  for (size_t i = 0; i < sizeof(best_first) / sizeof(best_first[0]); i++)
    if (ukernel_for(best_first[i]) != NULL && edgeq_isa_enabled(best_first[i])) return best_first[i];
  return EDGEQ_ISA_SCALAR;
}

static size_t round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }

static void* alloc64(size_t bytes) {
  void* p = NULL;
  return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

static int8_t source_weight(const qs8_gemm_desc* d, size_t n, size_t k) {
  size_t i = n * (size_t)d->k + k;
  if (d->weight_bits == 8) return ((const int8_t*)d->weights)[i];
  uint8_t b = ((const uint8_t*)d->weights)[i / 2];
  return (int8_t)((i & 1) ? eq_int4_hi(b) : eq_int4_lo(b));
}

static int desc_valid(const qs8_gemm_desc* d) {
  if (d == NULL || d->n <= 0 || d->k <= 0 || d->weights == NULL || d->multiplier == NULL ||
      d->shift == NULL)
    return 0;
  if (d->weight_bits != 8 && d->weight_bits != 4) return 0;
  if (d->c_min < -128 || d->c_max > 127 || d->c_min > d->c_max) return 0;
  for (int32_t i = 0; i < d->n; i++)  /* TFLite's range; keeps every shift defined */
    if (d->shift[i] < -31 || d->shift[i] > 30) return 0;
  return 1;
}

/* Writes W into the plan in the kernel's layout and folds the activation zero point (and the
 * kernel's activation offset) into the bias: acc = bias - (a_zp + a_off) * sum(W) + sum(a' * W).
 * Loops run in stream order (k block, channel, step within block), so the int8 stream position
 * is a plain counter and no division is needed per weight. */
static void pack_weights(qs8_gemm_plan* p, const qs8_gemm_desc* d) {
  const qs8_ukernel_info* uk = p->uk;
  const size_t nr = uk->nr, kr = uk->kr, half = uk->int4_group / 2;
  const size_t n_all = (size_t)d->n, k_all = (size_t)d->k;
  const uint32_t a_term = (uint32_t)d->a_zero_point + (uint32_t)uk->a_offset;
  /* int8: blocks inside k are copied (fixed-size moves for KR 4 and 8) and each channel's sum is
   * one pass over its contiguous row; the plan's weights start zeroed, so padding channels are
   * skipped. BATCH_MATMUL packs per invoke, so this runs per call there. */
  const size_t kfull = p->weight_bits == 8 ? k_all / kr * kr : 0;
  for (size_t t = 0; t < p->n_tiles; t++) {
    uint8_t* out = p->weights + t * p->tile_bytes;
    uint32_t wsum[QS8_MAX_NR] = {0};
    size_t idx = 0; /* int4: position inside the current group of 2 * half stream bytes */
    if (p->weight_bits == 8) {
      const size_t nv = n_all - t * nr < nr ? n_all - t * nr : nr; /* real channels of this tile */
      const int8_t* w0 = (const int8_t*)d->weights + t * nr * k_all;
      for (size_t j = 0; j < nv; j++) {
        const int8_t* src = w0 + j * k_all;
        uint32_t sum = 0;
        for (size_t kk = 0; kk < k_all; kk++) sum += (uint32_t)(int32_t)src[kk];
        wsum[j] = sum;
      }
      for (size_t kb = 0; kb < kfull; kb += kr, out += nr * kr) {
        const int8_t* src = w0 + kb;
        if (kr == 4) {
          for (size_t j = 0; j < nv; j++, src += k_all) memcpy(out + 4 * j, src, 4);
        } else if (kr == 8) {
          for (size_t j = 0; j < nv; j++, src += k_all) memcpy(out + 8 * j, src, 8);
        } else {
          for (size_t j = 0; j < nv; j++, src += k_all) memcpy(out + kr * j, src, kr);
        }
      }
      for (size_t kb = kfull; kb < (size_t)p->kc; kb += kr, out += nr * kr) /* k tail, zero padded */
        for (size_t j = 0; j < nv; j++)
          for (size_t kk = kb; kk < kb + kr && kk < k_all; kk++) out[kr * j + kk - kb] = (uint8_t)w0[j * k_all + kk];
    }
    for (size_t kb = 0; p->weight_bits == 4 && kb < (size_t)p->kc; kb += kr) {
      for (size_t j = 0; j < nr; j++) {
        const size_t n = t * nr + j;
        for (size_t kk = kb; kk < kb + kr; kk++) {
          const int8_t w = (n < n_all && kk < k_all) ? source_weight(d, n, kk) : 0;
          wsum[j] += (uint32_t)(int32_t)w;
          const uint8_t nib = (uint8_t)((uint8_t)(w + (uk->int4_offset8 ? 8 : 0)) & 0x0F);
          if (idx < half)
            out[idx] = nib;
          else
            out[idx - half] |= (uint8_t)(nib << 4);
          if (++idx == 2 * half) {
            idx = 0;
            out += half;
          }
        }
      }
    }
    for (size_t j = 0; j < nr; j++) {
      const size_t n = t * nr + j;
      if (n >= n_all) break;
      const uint32_t bias = d->bias ? (uint32_t)d->bias[n] : 0;
      p->bias[n] = (int32_t)(bias - a_term * wsum[j]);
      if (p->bias_s8) p->bias_s8[n] = (int32_t)(bias - (uint32_t)d->a_zero_point * wsum[j]);
      p->mult[n] = d->multiplier[n];
      p->shift[n] = d->shift[n];
      p->lshift[n] = d->shift[n] > 0 ? d->shift[n] : 0;
      p->rshift[n] = d->shift[n] < 0 ? d->shift[n] : 0;
      p->zmask[n] = d->shift[n] >= 0 ? -1 : 0;
      p->scale[n] = eq_multiplier_to_float(d->multiplier[n], d->shift[n]);
    }
  }
}

/* Whether an int8 weight is -128 (the kernels that add two products in int16 need it is not). */
static int has_weight_min(const qs8_gemm_desc* d) {
  if (d->weight_bits != 8) return 0;
  const int8_t* w = (const int8_t*)d->weights;
  const size_t len = (size_t)d->n * (size_t)d->k;
  for (size_t i = 0; i < len; i += 4096) { /* blocks without an early exit vectorize */
    const size_t e = len - i < 4096 ? len - i : 4096;
    uint8_t any = 0;
    for (size_t j = 0; j < e; j++) any |= (uint8_t)(w[i + j] == -128);
    if (any) return 1;
  }
  return 0;
}

qs8_gemm_plan* qs8_gemm_plan_create(const qs8_gemm_desc* desc, edgeq_isa isa) {
  return qs8_gemm_plan_create_rounding(desc, isa, QS8_ROUNDING_DOUBLE);
}

qs8_gemm_plan* qs8_gemm_plan_create_rounding(const qs8_gemm_desc* desc, edgeq_isa isa,
                                             qs8_rounding rounding) {
  if (!desc_valid(desc)) return NULL;
  if (rounding != QS8_ROUNDING_DOUBLE && rounding != QS8_ROUNDING_SINGLE &&
      rounding != QS8_REQUANT_FP32)
    return NULL;
  if (isa == EDGEQ_ISA_AUTO) isa = qs8_gemm_best_isa();
  if (!isa_available(isa)) return NULL;
  qs8_gemm_plan* p = (qs8_gemm_plan*)calloc(1, sizeof(*p));
  if (p == NULL) return NULL;
  p->isa = isa;
  p->rounding = rounding;
  /* only the plain NEON set looks at -128 weights: the scan is skipped elsewhere (BATCH_MATMUL plans per invoke) */
  p->uk = ukernel_for_bits(isa, desc->weight_bits, isa == EDGEQ_ISA_NEON ? has_weight_min(desc) : 0, desc->k,
                           desc->m_hint);
  p->n = desc->n;
  p->k = desc->k;
  p->kc = (int32_t)round_up((size_t)desc->k, p->uk->kpad);
  p->weight_bits = desc->weight_bits;
  p->n_tiles = round_up((size_t)desc->n, p->uk->nr) / p->uk->nr;
  p->tile_bytes = (size_t)p->uk->nr * (size_t)p->kc * (size_t)desc->weight_bits / 8;
  p->weight_bytes = p->n_tiles * p->tile_bytes;
  p->c_zp = desc->c_zero_point;
  p->c_min = desc->c_min;
  p->c_max = desc->c_max;
  const size_t npad = p->n_tiles * p->uk->nr;
  p->weights = (uint8_t*)alloc64(p->weight_bytes);
  p->bias = (int32_t*)calloc(6 * npad, sizeof(int32_t));
  p->scale = (float*)alloc64(npad * sizeof(float));
  if (p->weights == NULL || p->bias == NULL || p->scale == NULL) {
    qs8_gemm_plan_destroy(p);
    return NULL;
  }
  memset(p->weights, 0, p->weight_bytes);
  memset(p->scale, 0, npad * sizeof(float));
  p->mult = p->bias + npad;
  p->shift = p->mult + npad;
  p->lshift = p->shift + npad;
  p->rshift = p->lshift + npad;
  p->zmask = p->rshift + npad;
#if defined(EDGEQ_HAVE_AMX)
  if (p->uk == &kAmx) {
    p->bias_s8 = (int32_t*)calloc(npad, sizeof(int32_t));
    if (p->bias_s8 == NULL) {
      qs8_gemm_plan_destroy(p);
      return NULL;
    }
  }
#endif
  pack_weights(p, desc);
  p->right_only = 1;
  for (int32_t i = 0; i < desc->n; i++)
    if (desc->shift[i] >= 0) p->right_only = 0;
  return p;
}

void qs8_gemm_plan_destroy(qs8_gemm_plan* plan) {
  if (plan == NULL) return;
  free(plan->weights);
  free(plan->bias);
  free(plan->bias_s8);
  free(plan->scale);
  free(plan);
}

edgeq_isa qs8_gemm_plan_isa(const qs8_gemm_plan* plan) { return plan->isa; }
size_t qs8_gemm_plan_weight_bytes(const qs8_gemm_plan* plan) { return plan->weight_bytes; }
size_t qs8_gemm_plan_nr(const qs8_gemm_plan* plan) { return plan->uk->nr; }
qs8_rounding qs8_gemm_plan_rounding(const qs8_gemm_plan* plan) { return plan->rounding; }

/* Copies rows [0, mr) of A into the kernel's activation format, zero-padding k to kc and
 * rows to the kernel's MR (pairs for SMMLA). */
static void pack_a(const qs8_ukernel_info* uk, size_t mr, size_t k, size_t kc, const int8_t* a,
                   size_t lda, void* out) {
  switch ((qs8_a_format)uk->a_format) {
    case QS8_A_INT8: {
      int8_t* o = (int8_t*)out;
      for (size_t r = 0; r < mr; r++, o += kc) {
        memcpy(o, a + r * lda, k);
        memset(o + k, 0, kc - k);
      }
      break;
    }
    case QS8_A_INT16: {
      int16_t* o = (int16_t*)out;
      for (size_t r = 0; r < mr; r++, o += kc) {
        for (size_t i = 0; i < k; i++) o[i] = a[r * lda + i];
        for (size_t i = k; i < kc; i++) o[i] = 0;
      }
      break;
    }
    case QS8_A_UINT8: {
      uint8_t* o = (uint8_t*)out;
      for (size_t r = 0; r < mr; r++, o += kc) {
        /* plain loop: vectorized by the compiler; no zero-length memset call per row below
         * (this runs once per row block, next to very short kernels on small-k convs) */
        const int8_t* src = a + r * lda;
        for (size_t i = 0; i < k; i++) o[i] = (uint8_t)(src[i] ^ 0x80);
        if (kc > k) memset(o + k, 0, kc - k); /* padded weights are 0, so any value works */
      }
      break;
    }
    case QS8_A_INT8_PAIRS_C8: {
      int8_t* o = (int8_t*)out;
      const size_t pairs = (mr + 1) / 2;
      for (size_t pr = 0; pr < pairs; pr++)
        for (size_t kb = 0; kb < kc; kb += 8)
          for (size_t h = 0; h < 2; h++) {
            const size_t r = 2 * pr + h;
            for (size_t i = 0; i < 8; i++)
              *o++ = (r < mr && kb + i < k) ? a[r * lda + kb + i] : 0;
          }
      break;
    }
  }
}

/* QS8_A_INT8 packing of `mr` rows (k bytes, zeros to kc) with each row's sum (int4_offset8 plans) */
static void pack_a_sums(size_t mr, size_t k, size_t kc, const int8_t* a, size_t lda, int8_t* out, int32_t* sums) {
  for (size_t r = 0; r < mr; r++, out += kc) {
    const int8_t* src = a + r * lda;
    int32_t sum = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 bytes a step: copied, and summed as unsigned (x ^ 0x80) by psadbw, 128 each taken off below */
    __m128i acc = _mm_setzero_si128();
    const __m128i flip = _mm_set1_epi8((char)0x80);
    for (; i + 16 <= k; i += 16) {
      const __m128i v = _mm_loadu_si128((const __m128i*)(src + i));
      _mm_storeu_si128((__m128i*)(out + i), v);
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_xor_si128(v, flip), _mm_setzero_si128()));
    }
    sum = (int32_t)((uint32_t)_mm_cvtsi128_si32(acc) + (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(acc, 8)) -
                    128u * (uint32_t)i);
#endif
    for (; i < k; i++) {
      out[i] = src[i];
      sum += src[i];
    }
    if (kc > k) memset(out + k, 0, kc - k);
    sums[r] = sum;
  }
}

int32_t qs8_row_sum(const int8_t* a, size_t k) {
  int32_t sum = 0;
  size_t i = 0;
#if defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  const __m128i flip = _mm_set1_epi8((char)0x80);
  for (; i + 16 <= k; i += 16)
    acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_xor_si128(_mm_loadu_si128((const __m128i*)(a + i)), flip),
                                          _mm_setzero_si128()));
  sum = (int32_t)((uint32_t)_mm_cvtsi128_si32(acc) + (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(acc, 8)) -
                  128u * (uint32_t)i);
#endif
  for (; i < k; i++) sum += a[i];
  return sum;
}

static qs8_tile_params tile_params(const qs8_gemm_plan* plan, size_t n0) {
  const qs8_tile_params tp = {plan->bias + n0,  plan->mult + n0,   plan->shift + n0,
                              (int32_t)plan->rounding, plan->c_zp, plan->c_min,
                              plan->c_max,      plan->scale + n0,  plan->lshift + n0,
                              plan->rshift + n0, plan->zmask + n0, plan->right_only, 0, NULL};
  return tp;
}

/* Kernels that read A in place: MR-row blocks outer, and one kernel call per block for all
 * whole tiles of [n_begin, n_end) (as XNNPACK: the block's rows stay in L1 while the weights
 * stream past); a tile cut by n_begin / n_end goes through a scratch tile. Rows are copied to a
 * padded buffer only when k is not a multiple of the kernel's A step, min(KR, 8). */
static size_t direct_a_step(const qs8_ukernel_info* uk) { return uk->kr < 8 ? uk->kr : 8; }

static void run_direct(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda, int8_t* c,
                       size_t ldc, size_t n_begin, size_t n_end, int padded) {
  const qs8_ukernel_info* uk = plan->uk;
  const size_t mr = uk->mr, nr = uk->nr, k = (size_t)plan->k, kc = (size_t)plan->kc;
  const size_t a_step = direct_a_step(uk);
  _Alignas(64) int8_t stack_abuf[16384];
  size_t chunk = m, len = padded ? round_up(k, a_step) : k; /* len: A bytes per row the kernel reads */
  int8_t* abuf = NULL;
  if (len % a_step != 0) {
    len = kc;
    chunk = sizeof(stack_abuf) / kc;
    if (chunk < mr) chunk = mr;
    if (chunk > m) chunk = m;
    abuf = chunk * kc <= sizeof(stack_abuf) ? stack_abuf : (int8_t*)alloc64(chunk * kc);
    if (abuf == NULL) abort(); /* no error channel in this API; out of memory is fatal */
  }
  /* The walk over [n_begin, n_end) is the same for every row block, so it is planned once: at
   * most a cut first tile, one run of whole tiles, and a cut (or the plan's partial) last tile.
   * A cut tile computes all NR channels aside and copies its part. */
  struct {
    qs8_tile_params tp;
    const void* w;
    size_t n0, tiles, lo, hi; /* hi > lo: a cut tile's channels [lo, hi) */
  } seg[3];
  size_t nseg = 0;
  for (size_t t = n_begin / nr, t_last = (n_end - 1) / nr; t <= t_last; nseg++) {
    const size_t n0 = t * nr;
    seg[nseg].tp = tile_params(plan, n0);
    seg[nseg].w = plan->weights + t * plan->tile_bytes;
    seg[nseg].n0 = n0;
    if (n0 >= n_begin && n0 + nr <= n_end) { /* tiles t .. n_end / nr - 1 end inside n_end */
      seg[nseg].tiles = n_end / nr - t;
      seg[nseg].lo = seg[nseg].hi = 0;
    } else {
      seg[nseg].tiles = 1;
      seg[nseg].lo = n0 < n_begin ? n_begin - n0 : 0;
      seg[nseg].hi = n0 + nr < n_end ? nr : n_end - n0;
    }
    t += seg[nseg].tiles;
  }
  int8_t ctmp[QS8_MAX_MR * QS8_MAX_NR];
  for (size_t m0 = 0; m0 < m; m0 += chunk) {
    const size_t mv = m - m0 < chunk ? m - m0 : chunk;
    const int8_t* src = a + m0 * lda;
    size_t slda = lda;
    if (abuf != NULL) {
      pack_a(uk, mv, k, kc, src, lda, abuf);
      src = abuf;
      slda = kc;
    }
    for (size_t r0 = 0; r0 < mv; r0 += mr) {
      const size_t rows = mv - r0 < mr ? mv - r0 : mr;
      const qs8_direct_fn fn = uk->direct_fn[rows - 1];
      const int8_t* ar = src + r0 * slda;
      int8_t* crow = c + (m0 + r0) * ldc;
      for (size_t i = 0; i < nseg; i++) {
        if (seg[i].hi == 0) {
          fn(len, seg[i].tiles, ar, slda, seg[i].w, plan->tile_bytes, &seg[i].tp, crow + seg[i].n0, ldc);
          continue;
        }
        const size_t lo = seg[i].lo, bytes = seg[i].hi - lo;
        const qs8_direct_fn f = seg[i].hi <= nr / 2 && uk->direct_half_fn ? uk->direct_half_fn[rows - 1] : fn;
        if (lo == 0 && seg[i].hi == nr / 2 && uk->direct_half_fn) { /* the half kernel stores exactly these NR/2 */
          f(len, 1, ar, slda, seg[i].w, plan->tile_bytes, &seg[i].tp, crow + seg[i].n0, ldc);
          continue;
        }
        f(len, 1, ar, slda, seg[i].w, plan->tile_bytes, &seg[i].tp, ctmp, nr);
        for (size_t r = 0; r < rows; r++) eq_copy_bytes(crow + r * ldc + seg[i].n0 + lo, ctmp + r * nr + lo, bytes);
      }
    }
  }
  if (abuf != NULL && abuf != stack_abuf) free(abuf);
}

/* AVX-512 VNNI int8 plans read rows in place (flipped in the kernel) where the rows hold kc bytes */
static int reads_rows_in_place(const qs8_gemm_plan* plan) {
#if defined(EDGEQ_HAVE_AVX512VNNI)
  return plan->uk == &kAvx512Vnni8 && plan->weight_bits == 8;
#else
  (void)plan;
  return 0;
#endif
}

size_t qs8_gemm_plan_row_bytes(const qs8_gemm_plan* plan) {
  if (reads_rows_in_place(plan)) return (size_t)plan->kc; /* k rounded up to the kernel's 8-byte step */
  return plan->uk->direct_fn != NULL ? round_up((size_t)plan->k, direct_a_step(plan->uk)) : (size_t)plan->k;
}

static void run_rows(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda, int8_t* c, size_t ldc,
                     size_t n_begin, size_t n_end, int padded);

void qs8_gemm_run_padded(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda, int8_t* c,
                         size_t ldc, size_t n_begin, size_t n_end) {
  if (n_end > (size_t)plan->n) n_end = (size_t)plan->n;
  if (m == 0 || n_begin >= n_end) return;
  if (plan->uk->direct_fn != NULL)
    run_direct(plan, m, a, lda, c, ldc, n_begin, n_end, 1);
  else
    run_rows(plan, m, a, lda, c, ldc, n_begin, n_end, 1);
}

void qs8_gemm_run(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda, int8_t* c,
                  size_t ldc, size_t n_begin, size_t n_end) {
  if (n_end > (size_t)plan->n) n_end = (size_t)plan->n;
  if (m == 0 || n_begin >= n_end) return;
  run_rows(plan, m, a, lda, c, ldc, n_begin, n_end, 0);
}

/* padded: rows of qs8_gemm_plan_row_bytes bytes (any values after k) */
static void run_rows(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda, int8_t* c, size_t ldc,
                     size_t n_begin, size_t n_end, int padded) {
  (void)padded; /* read by the AVX-512 VNNI in-place path only */
  const qs8_ukernel_info* uk = plan->uk;
  if (uk->direct_fn != NULL) {
    run_direct(plan, m, a, lda, c, ldc, n_begin, n_end, 0);
    return;
  }
#if defined(EDGEQ_HAVE_AMX)
  if (plan->bias_s8 != NULL && m >= QS8_AMX_MIN_ROWS) { /* AMX plan: all rows on tiles */
    qs8_tile_params tp = tile_params(plan, 0);
    tp.bias = plan->bias_s8;
    qs8_gemm_32x32c4_avx512amx(m, (size_t)plan->k, a, lda, plan->weights, plan->tile_bytes, &tp, c, ldc,
                               n_begin, n_end);
    return;
  }
#endif
  const size_t mr = uk->mr, nr = uk->nr, kc = (size_t)plan->kc;
  const qs8_ukernel_fn* fns = plan->weight_bits == 8 ? uk->int8_fn : uk->int4_fn;
  const size_t a_elem = uk->a_format == QS8_A_INT16 ? 2 : 1;
  /* Per-call scratch keeps a shared plan thread-safe. The conv op calls this per 64-row task,
   * so the usual small-k case uses the stack instead of a malloc / free pair per call. */
  _Alignas(64) uint8_t stack_abuf[16384];
  /* Rows packed per step: MR, or with a multi-block kernel as many MR blocks as fit the stack
   * buffer (up to 64 rows), so each tile's setup is shared by more rows. */
  const qs8_rows_fn rows_fn = plan->weight_bits == 8 ? uk->int8_rows_fn : NULL;
  /* two tiles per call where the chunk holds a whole 8-row block (one-row calls, FC at batch 1,
   * keep the one-tile kernel's four-chain loop) */
  const qs8_rows2_fn rows2_fn = rows_fn != NULL && m >= 8 ? uk->int8_rows2_fn : NULL;
  size_t chunk = mr;
  if (rows_fn != NULL) {
    const size_t fit = sizeof(stack_abuf) / (kc * a_elem) / mr * mr;
    chunk = fit < mr ? mr : fit > 64 ? 64 : fit;
  }
  int8_t ctmp[64 * QS8_MAX_NR];
#if defined(EDGEQ_HAVE_AVX512VNNI)
  /* int8 rows whose k is whole kernel steps (kc == k: the kernel reads no byte past a row): read in
   * place, flipped to unsigned by the kernel (vpxord with the broadcast load folded in), instead of
   * copied flipped into the packed buffer first (that copy was 14-22 % of MobileNetV2's small-k
   * pointwise convs on Zen 5). Not for one-row calls (FC at batch 1 streams weights; its row copy is
   * nothing) nor k > 4096, where the copy is cheap next to the MACs and the xor cost 5 % (49x512x4608).
   * Caller-padded rows (im2col) hold kc bytes whatever k: first convs' k = 27 too. */
  if (reads_rows_in_place(plan) && (kc == (size_t)plan->k || padded) && m >= 8 && kc <= 4096) {
    for (size_t m0 = 0; m0 < m; m0 += chunk) { /* chunk rows stay in L1 while the tiles pass */
      const size_t mv = m - m0 < chunk ? m - m0 : chunk;
      const int8_t* ar = a + m0 * lda;
      for (size_t t = n_begin / nr; t * nr < n_end; t++) {
        const size_t n0 = t * nr;
        const void* w = plan->weights + t * plan->tile_bytes;
        int8_t* cdst = c + m0 * ldc + n0;
        qs8_tile_params tp = tile_params(plan, n0);
        if (n0 < n_begin) { /* a cut first tile: all NR channels aside, then its part */
          qs8_gemm_8x16c4_avx512vnni_rows_s8(mv, kc, ar, lda, w, &tp, ctmp, nr);
          const size_t lo = n_begin - n0, hi = n0 + nr < n_end ? nr : n_end - n0;
          for (size_t r = 0; r < mv; r++) memcpy(cdst + r * ldc + lo, ctmp + r * nr + lo, hi - lo);
          continue;
        }
        if (rows2_fn != NULL && kc >= 128 && n0 + 2 * nr < n_end && n0 + 3 * nr >= n_end) {
          /* the last three tiles of an odd count (the third maybe partial) in one pass: the lone last tile
           * would take the one-tile entry (one vpdpbusd per broadcast). Kernel bench on Zen 5: k 240-672
           * 0.97-0.99x; at k 24 / 40 (requantization-bound) 1.04x slower, so not there */
          qs8_tile_params tp1 = tile_params(plan, n0 + nr), tp2 = tile_params(plan, n0 + 2 * nr);
          tp2.nc = (int32_t)(n_end - n0 - 2 * nr);
          qs8_gemm_8x48c4_avx512vnni_rows_s8(mv, kc, ar, lda, w, plan->tile_bytes, &tp, &tp1, &tp2, cdst, ldc);
          t += 2;
          continue;
        }
        if (rows2_fn != NULL && n0 + nr < n_end) { /* two tiles, the second maybe the last */
          qs8_tile_params tp1 = tile_params(plan, n0 + nr);
          tp1.nc = (int32_t)(n_end - n0 - nr < nr ? n_end - n0 - nr : nr);
          qs8_gemm_8x32c4_avx512vnni_rows_s8(mv, kc, ar, lda, w, plan->tile_bytes, &tp, &tp1, cdst, ldc);
          t++;
          continue;
        }
        tp.nc = (int32_t)(n_end - n0 < nr ? n_end - n0 : nr);
        qs8_gemm_8x16c4_avx512vnni_rows_s8(mv, kc, ar, lda, w, &tp, cdst, ldc);
      }
    }
    return;
  }
#endif
  const size_t abytes = round_up(chunk, 2) * kc * a_elem;
  void* abuf = abytes <= sizeof(stack_abuf) ? (void*)stack_abuf : alloc64(abytes);
  if (abuf == NULL) abort(); /* no error channel in this API; out of memory is fatal */
  for (size_t m0 = 0; m0 < m; m0 += chunk) {
    const size_t mv = m - m0 < chunk ? m - m0 : chunk;
    int32_t a_sums[QS8_MAX_MR];
    if (uk->int4_offset8) /* the rows as they are, each one's sum taken while copying it (once per call) */
      pack_a_sums(mv, (size_t)plan->k, kc, a + m0 * lda, lda, (int8_t*)abuf, a_sums);
    else
      pack_a(uk, mv, (size_t)plan->k, kc, a + m0 * lda, lda, abuf);
    for (size_t t = n_begin / nr; t * nr < n_end; t++) {
      const size_t n0 = t * nr;
      qs8_tile_params tp = tile_params(plan, n0);
      tp.a_sums = a_sums;
      const void* w = plan->weights + t * plan->tile_bytes;
      int8_t* cdst = c + m0 * ldc + n0;
      const int full = n0 >= n_begin && n0 + nr <= n_end;
      if (rows2_fn != NULL && full && n0 + nr < n_end) { /* two tiles at once, the second maybe the last */
        qs8_tile_params tp1 = tile_params(plan, n0 + nr);
        tp1.nc = (int32_t)(n_end - n0 - nr < nr ? n_end - n0 - nr : nr);
        rows2_fn(mv, kc, abuf, w, plan->tile_bytes, &tp, &tp1, cdst, ldc);
        t++;
        continue;
      }
      if (rows_fn != NULL && n0 >= n_begin && plan->bias_s8 == NULL) { /* a last tile stores its channels in
                                                                         place (AMX plans as before) */
        qs8_tile_params tpc = tp;
        tpc.nc = (int32_t)(n_end - n0 < nr ? n_end - n0 : nr);
        rows_fn(mv, kc, abuf, w, &tpc, cdst, ldc);
        continue;
      }
      int8_t* dst = full ? cdst : ctmp; /* partial tile: all NR channels aside, then copy */
      const size_t ldd = full ? ldc : nr;
      if (rows_fn != NULL)
        rows_fn(mv, kc, abuf, w, &tp, dst, ldd);
      else
        fns[mv - 1](kc, abuf, w, &tp, dst, ldd);
      if (!full) {
        const size_t lo = n0 < n_begin ? n_begin - n0 : 0;
        const size_t hi = n0 + nr < n_end ? nr : n_end - n0;
        for (size_t r = 0; r < mv; r++) memcpy(cdst + r * ldc + lo, ctmp + r * nr + lo, hi - lo);
      }
    }
  }
  if (abuf != (void*)stack_abuf) free(abuf);
}

int qs8_gemm_plan_takes_row_sum(const qs8_gemm_plan* plan) {
  return plan->uk->int4_offset8 && plan->weight_bits == 4 && plan->kc == plan->k;
}

void qs8_gemm_run_gemv(const qs8_gemm_plan* plan, const int8_t* a, int32_t a_sum, int8_t* c, size_t n_begin,
                       size_t n_end) {
  if (!qs8_gemm_plan_takes_row_sum(plan)) {
    qs8_gemm_run(plan, 1, a, (size_t)plan->k, c, (size_t)plan->n, n_begin, n_end);
    return;
  }
  if (n_end > (size_t)plan->n) n_end = (size_t)plan->n;
  if (n_begin >= n_end) return;
  const qs8_ukernel_info* uk = plan->uk;
  const size_t nr = uk->nr, kc = (size_t)plan->kc;
  int8_t ctmp[QS8_MAX_NR];
  for (size_t t = n_begin / nr; t * nr < n_end; t++) {
    const size_t n0 = t * nr;
    qs8_tile_params tp = tile_params(plan, n0);
    tp.a_sums = &a_sum;
    const int full = n0 >= n_begin && n0 + nr <= n_end;
    uk->int4_fn[0](kc, a, plan->weights + t * plan->tile_bytes, &tp, full ? c + n0 : ctmp, nr);
    if (!full) {
      const size_t lo = n0 < n_begin ? n_begin - n0 : 0, hi = n0 + nr < n_end ? nr : n_end - n0;
      memcpy(c + n0 + lo, ctmp + lo, hi - lo);
    }
  }
}

size_t qs8_gemm_plan_packed_row_bytes(const qs8_gemm_plan* plan, uint8_t* flip) {
  const qs8_ukernel_info* uk = plan->uk;
  /* AMX plans (bias_s8) take their rows in place through their own path */
  if (uk->direct_fn != NULL || uk->a_format != QS8_A_UINT8 || plan->weight_bits != 8 || uk->int8_rows_fn == NULL ||
      plan->bias_s8 != NULL)
    return 0;
  *flip = 0x80;
  return (size_t)plan->kc;
}

void qs8_gemm_run_packed(const qs8_gemm_plan* plan, size_t m, const int8_t* a, int8_t* c, size_t ldc,
                         size_t n_begin, size_t n_end) {
  if (n_end > (size_t)plan->n) n_end = (size_t)plan->n;
  if (m == 0 || n_begin >= n_end) return;
  const qs8_ukernel_info* uk = plan->uk;
  const size_t nr = uk->nr, kc = (size_t)plan->kc;
  const qs8_rows2_fn rows2_fn = m >= 8 ? uk->int8_rows2_fn : NULL; /* as qs8_gemm_run */
  int8_t ctmp[64 * QS8_MAX_NR];
  for (size_t m0 = 0; m0 < m; m0 += 64) { /* the rows entry takes up to 64 rows */
    const size_t mv = m - m0 < 64 ? m - m0 : 64;
    for (size_t t = n_begin / nr; t * nr < n_end; t++) {
      const size_t n0 = t * nr;
      const qs8_tile_params tp = tile_params(plan, n0);
      int8_t* cdst = c + m0 * ldc + n0;
      const int full = n0 >= n_begin && n0 + nr <= n_end;
      if (rows2_fn != NULL && full && n0 + nr < n_end) { /* as qs8_gemm_run: a last tile in place */
        qs8_tile_params tp1 = tile_params(plan, n0 + nr);
        tp1.nc = (int32_t)(n_end - n0 - nr < nr ? n_end - n0 - nr : nr);
        rows2_fn(mv, kc, a + m0 * kc, plan->weights + t * plan->tile_bytes, plan->tile_bytes, &tp, &tp1, cdst, ldc);
        t++;
        continue;
      }
      if (n0 >= n_begin) {
        qs8_tile_params tpc = tp;
        tpc.nc = (int32_t)(n_end - n0 < nr ? n_end - n0 : nr);
        uk->int8_rows_fn(mv, kc, a + m0 * kc, plan->weights + t * plan->tile_bytes, &tpc, cdst, ldc);
        continue;
      }
      uk->int8_rows_fn(mv, kc, a + m0 * kc, plan->weights + t * plan->tile_bytes, &tp, full ? cdst : ctmp,
                       full ? ldc : nr);
      if (!full) {
        const size_t lo = n0 < n_begin ? n_begin - n0 : 0;
        const size_t hi = n0 + nr < n_end ? nr : n_end - n0;
        for (size_t r = 0; r < mv; r++) memcpy(cdst + r * ldc + lo, ctmp + r * nr + lo, hi - lo);
      }
    }
  }
}
