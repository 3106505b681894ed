/* 256-entry table lookup, out[i] = table[(uint8)in[i]]: LOGISTIC, HARD_SWISH and fused swish,
 * whose tables are filled with TFLite's reference arithmetic for every int8 input. SIMD variants
 * are exact by construction (a lookup) and tested byte for byte against the scalar one. */
#ifndef EDGEQ_X8_LUT_H
#define EDGEQ_X8_LUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*x8_lut_fn)(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);

/* The variant for isa (scalar, avx2, avx512vbmi, neon); NULL when not built or not runnable here. */
x8_lut_fn x8_lut_for_isa(edgeq_isa isa);
/* The best variant this CPU runs within the EDGEQ_ISA cap. */
x8_lut_fn x8_lut_best(void);

void x8_lut_scalar(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);
void x8_lut_u64_avx512vbmi(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);
void x8_lut_u32_avx2(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);
void x8_lut_u64_neon(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);

#ifdef __cplusplus
}
#endif
#endif
