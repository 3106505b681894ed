/* N-D broadcasting for the int8 binary elementwise kernels (ADD, MUL), numpy rules up to rank 5:
 * the output is walked in order and each innermost run calls the same-shape kernel, on whole
 * runs where both inputs advance with the output, in blocks of 64 where one input repeats a value
 * along the run and the other advances, and element by element otherwise; runs shorter than 64
 * against one repeated row of the other input (a per-channel constant of a few channels) go in
 * blocks of up to 256 elements with that row tiled.
 * Strides are in elements, 0 where an input broadcasts; the compiler computes them. */
#ifndef EDGEQ_QS8_VBINARY_ND_H
#define EDGEQ_QS8_VBINARY_ND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QS8_VBINARY_RANK 5

typedef void (*qs8_vbinary_fn)(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const void* params);

typedef struct {
  int32_t dims[QS8_VBINARY_RANK];
  int32_t a_stride[QS8_VBINARY_RANK], b_stride[QS8_VBINARY_RANK];
  qs8_vbinary_fn fn;
  const void* params;
} qs8_vbinary_nd_params;

void qs8_vbinary_nd(const qs8_vbinary_nd_params* p, const int8_t* a, const int8_t* b, int8_t* out);

#ifdef __cplusplus
}
#endif
#endif
