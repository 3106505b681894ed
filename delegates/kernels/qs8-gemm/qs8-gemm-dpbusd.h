/* vpdpbusd with its accumulator tied in place, for the AVX-512 VNNI GEMM kernels (int8 and int4
 * weights). Through the intrinsic, GCC 12 copies each accumulator to another register on every
 * k step (about one zmm move per vpdpbusd in the inner loops); the inline form gives the plain
 * loop. Include from files compiled with -mavx512vnni. */
#ifndef EDGEQ_QS8_GEMM_DPBUSD_H
#define EDGEQ_QS8_GEMM_DPBUSD_H

#include <immintrin.h>

/* acc + sum of 4 products (unsigned bytes of a_u8 times signed bytes of w_s8) per int32 lane */
static inline __attribute__((always_inline)) __m512i qs8_dpbusd(__m512i acc, __m512i a_u8, __m512i w_s8) {
#if defined(__GNUC__) && !defined(__clang__)
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a_u8), "vm"(w_s8));
  return acc;
#else
  return _mm512_dpbusd_epi32(acc, a_u8, w_s8);
#endif
}

#endif
