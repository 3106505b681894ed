/* Same-shape int8 PRELU with TFLite's arithmetic (prelu.cc, reference Prelu / BroadcastPrelu4DSlow):
 * x' = x - x_zp; out = clamp(out_zp + (x' >= 0 ? MBQM(x', m_pos, s_pos) : MBQM(x' * (alpha - a_zp), m_neg, s_neg))).
 * Broadcasting (alpha per channel) walks qs8-vbinary-nd with this kernel on the innermost runs. */
#ifndef EDGEQ_QS8_VPRELU_H
#define EDGEQ_QS8_VPRELU_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t x_offset, alpha_offset; /* -zero_point of input and alpha */
  int32_t mult_pos, shift_pos;    /* input_scale / output_scale */
  int32_t mult_neg, shift_neg;    /* input_scale * alpha_scale / output_scale */
  int32_t out_zp;
  /* Filled by qs8_vprelu_init_table (the SIMD variants read it; the scalar kernel does not):
   * pos_table[u] = the output of x' = u for u in [0, 127 + x_offset] (every x >= x_zp), 0 past it;
   * pos_tables = 64-byte blocks that hold those entries (1..4). */
  int32_t pos_tables;
  int8_t pos_table[256];
} qs8_prelu_params;

typedef void (*qs8_vprelu_fn)(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out,
                              const qs8_prelu_params* p);

/* Fills pos_table / pos_tables from the arithmetic fields (call after setting them). */
void qs8_vprelu_init_table(qs8_prelu_params* p);

/* The variant for isa (scalar, avx2, avx512, neon); NULL when not built or not runnable here. All are
 * bit-exact with the scalar kernel for shifts in [-31, 31] (the delegates leave larger ones to the runtime). */
qs8_vprelu_fn qs8_vprelu_for_isa(edgeq_isa isa);
/* The best variant this CPU runs within the EDGEQ_ISA cap. */
qs8_vprelu_fn qs8_vprelu_best(void);

void qs8_vprelu_scalar(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p);
void qs8_vprelu_u16_avx2(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p);
void qs8_vprelu_u16_avx512skx(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out,
                              const qs8_prelu_params* p);
void qs8_vprelu_u16_neon(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p);

#ifdef __cplusplus
}
#endif
#endif
