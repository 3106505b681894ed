/* MEAN of int8 over any constant set of axes (reference QuantizedMeanOrSum): integer sums, then
 * one requantization with 1/count folded into the multiplier ahead of time. The input is
 * walked once in order; `sums` (out_count int32) is the kernel's scratch. */
#ifndef EDGEQ_QS8_MEAN_H
#define EDGEQ_QS8_MEAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QS8_MEAN_RANK 6

typedef struct {
  int32_t rank;
  int32_t dims[QS8_MEAN_RANK];
  int32_t out_stride[QS8_MEAN_RANK]; /* 0 on reduced axes */
  int32_t in_count, out_count, count;
  int32_t in_zp, out_zp, mult, shift;
} qs8_mean_params;

void qs8_mean(const qs8_mean_params* p, const int8_t* input, int8_t* output, int32_t* sums);

/* The same MEAN when the reduced axes are one contiguous block: the input as [outer][reduce][inner]
 * (a global average pool is [1][H*W][C]), summed row by row into `sums` (inner int32) with a
 * loop over the inner axis that the compiler vectorizes; p->count == reduce. */
void qs8_mean_rd(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, const int8_t* input,
                 int8_t* output, int32_t* sums);

/* Channels [c0, c1) of qs8_mean_rd's result, for each of the `outer` blocks: threads split a wide
 * reduction into channel ranges (input rows still `inner` apart). sums: c1 - c0 int32. */
void qs8_mean_rd_channels(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, size_t c0, size_t c1,
                          const int8_t* input, int8_t* output, int32_t* sums);

/* A tall, narrow reduction (squeeze-excite: thousands of rows of 32-96 channels) split across threads
 * by rows instead: each part adds rows [r0, r1) of the [reduce][inner] block into its own `sums`
 * (inner int32, not cleared); the parts' sums added together (mod 2^32, in any order) are the
 * block's, and qs8_mean_rd_requant turns them into qs8_mean_rd's output. */
void qs8_mean_rd_add_rows(size_t r0, size_t r1, size_t inner, const int8_t* input, int32_t* sums);
void qs8_mean_rd_requant(const qs8_mean_params* p, size_t inner, const int32_t* sums, int8_t* output);

typedef void (*qs8_mean_rd_channels_fn)(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner,
                                        size_t c0, size_t c1, const int8_t* input, int8_t* output, int32_t* sums);

/* Variants of qs8_mean_rd_channels (bit-exact with it): the one for isa (scalar, avx512, neon), NULL when
 * not built or not runnable here; the best this CPU runs within the EDGEQ_ISA cap. */
qs8_mean_rd_channels_fn qs8_mean_rd_channels_for_isa(edgeq_isa isa);
qs8_mean_rd_channels_fn qs8_mean_rd_channels_best(void);

/* AVX-512: 64 channels per tile (masked for the last), rows summed in int16 (256 rows at a time), widened
 * into int32 registers, vector requantization. */
void qs8_mean_rd_channels_u64_avx512skx(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner,
                                        size_t c0, size_t c1, const int8_t* input, int8_t* output, int32_t* sums);

/* aarch64: 16 channels per tile, rows summed in int16 registers (256 rows at a time) then widened,
 * vector requantization; channels past the last tile of 8 go to the scalar kernel. */
void qs8_mean_rd_channels_u16_neon(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, size_t c0,
                                   size_t c1, const int8_t* input, int8_t* output, int32_t* sums);

#ifdef __cplusplus
}
#endif
#endif
