/* Two-input table lookup, out[i] = table[(uint8)a[i] << 8 | (uint8)b[i]]: a binary int8 op whose
 * output depends only on the two input bytes (ADD, SUB, MUL, SQUARED_DIFFERENCE) as one 64K-entry
 * table filled by the op's own exact kernel. On x86 a gather of 16 (AVX-512) or 8 (AVX2) entries
 * per step beats computing the three double-rounding rescales of ADD; variants are exact by
 * construction (a lookup) and tested byte for byte against the scalar one. */
#ifndef EDGEQ_X8_LUT2D_H
#define EDGEQ_X8_LUT2D_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes to allocate for a table: the gathers read 4 bytes at each entry's address. */
#define X8_LUT2D_TABLE_BYTES (65536 + 4)

typedef void (*x8_lut2d_fn)(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table);

/* The variant for isa (scalar, avx2, avx512); NULL when not built or not runnable here. */
x8_lut2d_fn x8_lut2d_for_isa(edgeq_isa isa);
/* The best gather variant this CPU runs within the EDGEQ_ISA cap; NULL where there is none (then an
 * op's own SIMD kernel is faster than a scalar lookup, and ops keep it). */
x8_lut2d_fn x8_lut2d_gather_best(void);
/* x8_lut2d_gather_best() for an op whose own kernel runs at kernel_isa (qs8_vadd_best_isa(), ...), or
 * NULL where that kernel outruns the gathers: an AVX-512 one on a CPU with slow gathers (Zen 5, per
 * element: gather 0.43 ns, ADD 0.34, MUL 0.16; AVX2 ADD 1.04, where the table still wins). */
x8_lut2d_fn x8_lut2d_gather_for(edgeq_isa kernel_isa);

void x8_lut2d_scalar(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table);
void x8_lut2d_u8_avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table);
void x8_lut2d_u16_avx512skx(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const int8_t* table);

#ifdef __cplusplus
}
#endif
#endif
