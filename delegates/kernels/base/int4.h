/* TFLite INT4 tensors: two signed 4-bit values per byte, element 2j in the low nibble of byte j
 * and element 2j + 1 in the high one (two's complement). */
#ifndef EDGEQ_KERNELS_INT4_H
#define EDGEQ_KERNELS_INT4_H

#include <stddef.h>
#include <stdint.h>

/* Sign-extends the low / high nibble of a byte. */
static inline int32_t eq_int4_lo(uint8_t b) { return (int32_t)(int8_t)(uint8_t)(b << 4) >> 4; }
static inline int32_t eq_int4_hi(uint8_t b) { return (int32_t)(int8_t)b >> 4; }

/* Element i of a packed INT4 buffer. */
static inline int32_t eq_int4_at(const uint8_t* packed, size_t i) {
  const uint8_t b = packed[i >> 1];
  return (i & 1) ? eq_int4_hi(b) : eq_int4_lo(b);
}

#endif /* EDGEQ_KERNELS_INT4_H */
