/* The MAX_POOL_2D micro-kernel of the CPU delegate: one output pixel from `taps` input pixels given
 * by pointers (each `channels` contiguous int8), out[c] = clamp(max over taps of rows[t][c], lo, hi).
 * taps >= 1. Variants are exact by construction (integer max) and tested against the scalar one. */
#ifndef EDGEQ_S8_MAXPOOL_TAPS_H
#define EDGEQ_S8_MAXPOOL_TAPS_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*s8_maxpool_taps_fn)(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                                   int8_t hi);

/* The variant for isa (scalar, avx2, avx512); NULL when not built or not runnable here. */
s8_maxpool_taps_fn s8_maxpool_taps_for_isa(edgeq_isa isa);
/* The best variant this CPU runs within the EDGEQ_ISA cap. */
s8_maxpool_taps_fn s8_maxpool_taps_best(void);

void s8_maxpool_taps_c1_scalar(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                               int8_t hi);
void s8_maxpool_taps_c32_avx2(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                              int8_t hi);
void s8_maxpool_taps_c64_avx512skx(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                                   int8_t hi);

#ifdef __cplusplus
}
#endif
#endif
