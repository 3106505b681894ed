/* Accumulation of the 2x8c16 NEON kernel (int8 weights without -128, Cortex-A72 class) for two
 * rows in inline assembly: per 16 steps 2 row loads, 2 ld1 of 4 weight registers, and for each
 * (row, channel) smull + smlal2 + sadalp; GCC 12's intrinsics added 6 spill loads / stores per
 * 16 steps. The 16 int32x4 partial sums come out in registers the compiler picks (v0-v19), for
 * the caller's pairwise reduction. kc is a multiple of 8 (an 8-step tail uses the low halves). */
#ifndef EDGEQ_QS8_GEMM_NEON_C16_ASM_H
#define EDGEQ_QS8_GEMM_NEON_C16_ASM_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#define QS8_C16(j, W)                                                                             \
  "smull v22.8h, v20.8b, " W ".8b\n\t" "smull v23.8h, v21.8b, " W ".8b\n\t"                       \
  "smlal2 v22.8h, v20.16b, " W ".16b\n\t" "smlal2 v23.8h, v21.16b, " W ".16b\n\t"                 \
  "sadalp %[c0" #j "].4s, v22.8h\n\t" "sadalp %[c1" #j "].4s, v23.8h\n\t"
#define QS8_C8(j, W)                                                                              \
  "smull v22.8h, v20.8b, " W ".8b\n\t" "smull v23.8h, v21.8b, " W ".8b\n\t"                       \
  "sadalp %[c0" #j "].4s, v22.8h\n\t" "sadalp %[c1" #j "].4s, v23.8h\n\t"
#define QS8_C16_W "ld1 {v24.16b-v27.16b}, [%[wp]], #64\n\t" "ld1 {v28.16b-v31.16b}, [%[wp]], #64\n\t"
#define QS8_ZERO2(j) "movi %[c0" #j "].4s, #0\n\t" "movi %[c1" #j "].4s, #0\n\t"

/* acc[r][j]: 4 partial sums of row r (a0 / a1, kc bytes each) x channel j of the packed w */
static inline __attribute__((always_inline)) void qs8_neon_c16_2x8_acc(int32x4_t acc[2][8], const int8_t* a0,
                                                                       const int8_t* a1, const int8_t* w,
                                                                       size_t kc) {
  int32x4_t c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17;
  __asm__(
      QS8_ZERO2(0) QS8_ZERO2(1) QS8_ZERO2(2) QS8_ZERO2(3) QS8_ZERO2(4) QS8_ZERO2(5) QS8_ZERO2(6) QS8_ZERO2(7)
      "subs %[n], %[n], #16\n\t"
      "b.lo 2f\n"
      "1:\n\t"
      "ldr q20, [%[a0]], #16\n\t" "ldr q21, [%[a1]], #16\n\t" QS8_C16_W
      QS8_C16(0, "v24") QS8_C16(1, "v25") QS8_C16(2, "v26") QS8_C16(3, "v27")
      QS8_C16(4, "v28") QS8_C16(5, "v29") QS8_C16(6, "v30") QS8_C16(7, "v31")
      "subs %[n], %[n], #16\n\t"
      "b.hs 1b\n"
      "2:\n\t" /* n = kc % 16 - 16: bit 3 set when 8 steps are left */
      "tbz %[n], #3, 3f\n\t"
      "ldr d20, [%[a0]]\n\t" "ldr d21, [%[a1]]\n\t" QS8_C16_W
      QS8_C8(0, "v24") QS8_C8(1, "v25") QS8_C8(2, "v26") QS8_C8(3, "v27")
      QS8_C8(4, "v28") QS8_C8(5, "v29") QS8_C8(6, "v30") QS8_C8(7, "v31")
      "3:\n\t"
      : [c00] "=&w"(c00), [c01] "=&w"(c01), [c02] "=&w"(c02), [c03] "=&w"(c03),
        [c04] "=&w"(c04), [c05] "=&w"(c05), [c06] "=&w"(c06), [c07] "=&w"(c07),
        [c10] "=&w"(c10), [c11] "=&w"(c11), [c12] "=&w"(c12), [c13] "=&w"(c13),
        [c14] "=&w"(c14), [c15] "=&w"(c15), [c16] "=&w"(c16), [c17] "=&w"(c17),
        [a0] "+r"(a0), [a1] "+r"(a1), [wp] "+r"(w), [n] "+r"(kc)
      :
      : "cc", "memory", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  acc[0][0] = c00; acc[0][1] = c01; acc[0][2] = c02; acc[0][3] = c03;
  acc[0][4] = c04; acc[0][5] = c05; acc[0][6] = c06; acc[0][7] = c07;
  acc[1][0] = c10; acc[1][1] = c11; acc[1][2] = c12; acc[1][3] = c13;
  acc[1][4] = c14; acc[1][5] = c15; acc[1][6] = c16; acc[1][7] = c17;
}

#endif
