/* Elementwise work split across the pool beyond eq_pool_for_ranges: table lookups and N-d
 * broadcasting walks (cut along their outermost dimension). Each piece runs the same kernel on its
 * own part of the output, so results do not depend on the thread count. */
#ifndef EDGEQ_CPU_PARALLEL_H
#define EDGEQ_CPU_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "qs8-vbinary-nd/qs8-vbinary-nd.h"
#include "threadpool.h"

/* Elements an elementwise task gets at least. */
#define EQ_EW_MIN_ELEMS ((size_t)1 << 13)

/* y[i] = table[(uint8)x[i]] for i < n through `lookup` (an x8-lut kernel). */
void eq_parallel_lut(eq_pool* pool, size_t n, const int8_t* x, int8_t* y, const int8_t table[256],
                     void (*lookup)(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]));

/* qs8_vbinary_nd(p, a, b, out), its outermost dimension of more than one element cut into ranges. */
void eq_parallel_vbinary_nd(eq_pool* pool, const qs8_vbinary_nd_params* p, const int8_t* a, const int8_t* b,
                            int8_t* out);

#endif /* EDGEQ_CPU_PARALLEL_H */
