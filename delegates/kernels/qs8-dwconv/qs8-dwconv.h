/* Depthwise convolution (depth multiplier 1) micro-kernels with TFLite double-rounding
 * requantization, bit-exact with BUILTIN_REF's DEPTHWISE_CONV_2D for every ISA variant.
 *
 *   acc[p][c] = bias[c] + sum_t W[t][c] * (X[p][t][c] - in_zp)
 *   out[p][c] = clamp(MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]) + out_zp, min, max)
 *
 * Kernels read input through an indirection buffer (one pointer per output pixel and tap,
 * XNNPACK style); padding taps point at a row filled with in_zp, which contributes exactly 0
 * because in_zp * sum_t W[t][c] is folded into the packed bias. Weights are packed once
 * (prepare time) channels-innermost in tiles of QS8_DW_CT channels.
 */
#ifndef EDGEQ_QS8_DWCONV_H
#define EDGEQ_QS8_DWCONV_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QS8_DW_CT 16 /* channels per packed tile (every variant) */

typedef struct {
  int32_t channels;
  int32_t taps;              /* kh * kw */
  const void* weights;       /* [taps][channels] int8, or TFLite INT4 packing of that array */
  int weight_bits;           /* 8 or 4 */
  const int32_t* bias;       /* [channels] or NULL */
  const int32_t* multiplier; /* [channels] Q31 (QuantizeMultiplier) */
  const int32_t* shift;      /* [channels] TFLite convention (> 0 left) */
  int32_t in_zero_point, out_zero_point, out_min, out_max;
} qs8_dwconv_desc;

typedef struct qs8_dwconv_plan qs8_dwconv_plan;

/* Packs weights for one ISA (EDGEQ_ISA_AUTO: qs8_dwconv_best_isa(), or the best one below
 * AVX-512 when a multiplier is INT32_MIN); NULL when the ISA has no variant here, this CPU cannot
 * run it, or the description is bad. */
qs8_dwconv_plan* qs8_dwconv_plan_create(const qs8_dwconv_desc* desc, edgeq_isa isa);

/* Requantization: EXACT is TFLite's double rounding (what qs8_dwconv_plan_create gives); FP32 is
 * the opt-in fast mode, XNNPACK style and not bit-exact: round_half_even(clamp((float)acc *
 * scale)) + out_zp with scale[c] = multiplier[c] * 2^(shift[c] - 31) as float (computed at pack
 * time), identical across ISA variants and within +-1 of EXACT. */
typedef enum { QS8_DW_REQUANT_EXACT = 0, QS8_DW_REQUANT_FP32 = 1 } qs8_dw_requant;
qs8_dwconv_plan* qs8_dwconv_plan_create_requant(const qs8_dwconv_desc* desc, edgeq_isa isa,
                                                qs8_dw_requant requant);
void qs8_dwconv_plan_destroy(qs8_dwconv_plan* plan);
edgeq_isa qs8_dwconv_plan_isa(const qs8_dwconv_plan* plan);
/* `channels` bytes of in_zero_point: where padding taps of the indirection buffer point. */
const int8_t* qs8_dwconv_plan_zero_row(const qs8_dwconv_plan* plan);

/* Computes `pixels` output pixels: indirection[p * taps + t] is the address of channel 0 of
 * tap t's input pixel; output pixel p goes to out + p * out_stride. Thread-safe. */
void qs8_dwconv_run(const qs8_dwconv_plan* plan, size_t pixels, const int8_t* const* indirection,
                    int8_t* out, size_t out_stride);

/* Geometry of an NHWC depthwise conv, used to fill indirection buffers. */
typedef struct {
  int in_h, in_w, channels, out_w, kh, kw, sh, sw, dh, dw, pad_top, pad_left;
} qs8_dw_geometry;

/* Fills the indirection entries of output row oy (out_w pixels x kh*kw taps) of one image. */
void qs8_dwconv_indirect_row(const qs8_dw_geometry* g, const int8_t* image, const int8_t* zero_row, int oy,
                             const int8_t** indirection);

/* The best variant this CPU runs within the EDGEQ_ISA cap: avx512vnni, avx512, avx2, neon, else
 * scalar. */
edgeq_isa qs8_dwconv_best_isa(void);
/* Whether the family has a variant for isa and this CPU runs it. */
int qs8_dwconv_isa_available(edgeq_isa isa);

#ifdef __cplusplus
}
#endif
#endif
