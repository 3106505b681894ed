/* The Armv7E-M DSP instructions the armsimd32 kernels use (SXTB16, SMLAD, SMLABB/TT, SADD16), as
 * ACLE intrinsics on Cortex-M4/M7/M33/M55 and as plain C elsewhere, so the same kernels also run
 * (and are tested) on a host. Wrapping 32-bit sums, like the instructions. */
#ifndef EDGEQ_KERNELS_ARMSIMD32_H
#define EDGEQ_KERNELS_ARMSIMD32_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
static inline uint32_t eq_sxtb16(uint32_t x) { return __sxtb16(x); }
static inline uint32_t eq_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); /* one instruction: GCC emits a separate ROR */
  return r;
}
static inline int32_t eq_smlad(uint32_t x, uint32_t y, int32_t acc) { return __smlad(x, y, acc); }
static inline int32_t eq_smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb(x, y, acc); }
static inline int32_t eq_smlatt(uint32_t x, uint32_t y, int32_t acc) { return __smlatt(x, y, acc); }
static inline uint32_t eq_sadd16(uint32_t x, uint32_t y) { return __sadd16(x, y); }
#else
static inline uint32_t eq_sxtb16(uint32_t x) {
  return (uint32_t)(uint16_t)(int16_t)(int8_t)x | (uint32_t)(uint16_t)(int16_t)(int8_t)(x >> 16) << 16;
}
static inline uint32_t eq_sxtb16_ror8(uint32_t x) { return eq_sxtb16((x >> 8) | (x << 24)); }
static inline int32_t eq_lo16(uint32_t x) { return (int16_t)(x & 0xFFFFu); }
static inline int32_t eq_hi16(uint32_t x) { return (int16_t)(x >> 16); }
static inline int32_t eq_smlad(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(eq_lo16(x) * eq_lo16(y)) + (uint32_t)(eq_hi16(x) * eq_hi16(y)));
}
static inline int32_t eq_smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(eq_lo16(x) * eq_lo16(y)));
}
static inline int32_t eq_smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(eq_hi16(x) * eq_hi16(y)));
}
static inline uint32_t eq_sadd16(uint32_t x, uint32_t y) {
  return (uint32_t)(uint16_t)(eq_lo16(x) + eq_lo16(y)) | (uint32_t)(uint16_t)(eq_hi16(x) + eq_hi16(y)) << 16;
}
#endif

/* Unaligned 32-bit load: one LDR on cores that allow it (a builtin even where memcpy is not). */
static inline uint32_t eq_load32(const void* p) {
  uint32_t v;
#if defined(__GNUC__)
  __builtin_memcpy(&v, p, 4);
#else
  memcpy(&v, p, 4);
#endif
  return v;
}

#endif
