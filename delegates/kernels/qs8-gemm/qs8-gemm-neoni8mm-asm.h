/* Accumulation of the 4x16c8 SMMLA kernel (int8 weights) in inline assembly, for 4 rows (two
 * row pairs; 3 rows pass the last row twice) and for 1 row: bias in, every k step, the 2x2
 * tiles out in registers the compiler picks (from v0-v19), unzipped into rows by the C caller.
 * Weights: blocks of 8 steps x 16 channels, q register i of a block = channels 2i, 2i+1; one ld1
 * loads four of them. Per 16 steps and 4 rows: 4 row loads, 4 zips, 4 weight loads, 32 smmla,
 * 2 loop instructions (GCC 12's intrinsics took 60). kc is a multiple of 8. */
#ifndef EDGEQ_QS8_GEMM_NEONI8MM_ASM_H
#define EDGEQ_QS8_GEMM_NEONI8MM_ASM_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#define QS8_MM(c, a, w) "smmla %[" #c "].4s, " a ".16b, " w ".16b\n\t"
/* one 8-step block of a row pair (A) into tiles c<P>0..c<P>7: weights v28-v31, v24-v27 */
#define QS8_MM8(P, A)                                                                         \
  QS8_MM(c##P##0, A, "v28") QS8_MM(c##P##1, A, "v29") QS8_MM(c##P##2, A, "v30")               \
  QS8_MM(c##P##3, A, "v31") QS8_MM(c##P##4, A, "v24") QS8_MM(c##P##5, A, "v25")               \
  QS8_MM(c##P##6, A, "v26") QS8_MM(c##P##7, A, "v27")
#define QS8_W8 "ld1 {v28.16b-v31.16b}, [%[wp]], #64\n\t" "ld1 {v24.16b-v27.16b}, [%[wp]], #64\n\t"
/* tile q of every pair starts as (bias[2q], bias[2q+1]) for both rows */
#define QS8_BIAS8(P)                                                                          \
  "ld1r {%[c" #P "0].2d}, [%[b]], #8\n\t" "ld1r {%[c" #P "1].2d}, [%[b]], #8\n\t"            \
  "ld1r {%[c" #P "2].2d}, [%[b]], #8\n\t" "ld1r {%[c" #P "3].2d}, [%[b]], #8\n\t"            \
  "ld1r {%[c" #P "4].2d}, [%[b]], #8\n\t" "ld1r {%[c" #P "5].2d}, [%[b]], #8\n\t"            \
  "ld1r {%[c" #P "6].2d}, [%[b]], #8\n\t" "ld1r {%[c" #P "7].2d}, [%[b]], #8\n\t"

/* acc[pr][q] = 2x2 tile (rows 2pr, 2pr+1; channels 2q, 2q+1) of bias + rows r[0..3] x w. */
static inline __attribute__((always_inline)) void qs8_neoni8mm_4x16_acc(int32x4_t acc[2][8], const int8_t* r[4],
                                                                        const int8_t* w, const int32_t* bias,
                                                                        size_t kc) {
  const int8_t *a0 = r[0], *a1 = r[1], *a2 = r[2], *a3 = r[3];
  int32x4_t c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17;
  __asm__(
      QS8_BIAS8(0)
      "mov %[c10].16b, %[c00].16b\n\t" "mov %[c11].16b, %[c01].16b\n\t"
      "mov %[c12].16b, %[c02].16b\n\t" "mov %[c13].16b, %[c03].16b\n\t"
      "mov %[c14].16b, %[c04].16b\n\t" "mov %[c15].16b, %[c05].16b\n\t"
      "mov %[c16].16b, %[c06].16b\n\t" "mov %[c17].16b, %[c07].16b\n\t"
      "subs %[n], %[n], #16\n\t"
      "b.lo 2f\n"
      "1:\n\t"
      "ldr q24, [%[a0]], #16\n\t" "ldr q25, [%[a1]], #16\n\t"
      "ldr q26, [%[a2]], #16\n\t" "ldr q27, [%[a3]], #16\n\t"
      "zip1 v20.2d, v24.2d, v25.2d\n\t" "zip2 v21.2d, v24.2d, v25.2d\n\t"
      "zip1 v22.2d, v26.2d, v27.2d\n\t" "zip2 v23.2d, v26.2d, v27.2d\n\t"
      QS8_W8 QS8_MM8(0, "v20") QS8_MM8(1, "v22")
      QS8_W8 QS8_MM8(0, "v21") QS8_MM8(1, "v23")
      "subs %[n], %[n], #16\n\t"
      "b.hs 1b\n"
      "2:\n\t" /* n = kc % 16 - 16: bit 3 set when 8 steps are left */
      "tbz %[n], #3, 3f\n\t"
      "ldr d20, [%[a0]]\n\t" "ld1 {v20.d}[1], [%[a1]]\n\t"
      "ldr d22, [%[a2]]\n\t" "ld1 {v22.d}[1], [%[a3]]\n\t"
      QS8_W8 QS8_MM8(0, "v20") QS8_MM8(1, "v22")
      "3:\n\t"
      : [c00] "=&w"(c00), [c01] "=&w"(c01), [c02] "=&w"(c02), [c03] "=&w"(c03),
        [c04] "=&w"(c04), [c05] "=&w"(c05), [c06] "=&w"(c06), [c07] "=&w"(c07),
        [c10] "=&w"(c10), [c11] "=&w"(c11), [c12] "=&w"(c12), [c13] "=&w"(c13),
        [c14] "=&w"(c14), [c15] "=&w"(c15), [c16] "=&w"(c16), [c17] "=&w"(c17),
        [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wp] "+r"(w), [n] "+r"(kc),
        [b] "+r"(bias)
      :
      : "cc", "memory", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  acc[0][0] = c00; acc[0][1] = c01; acc[0][2] = c02; acc[0][3] = c03;
  acc[0][4] = c04; acc[0][5] = c05; acc[0][6] = c06; acc[0][7] = c07;
  acc[1][0] = c10; acc[1][1] = c11; acc[1][2] = c12; acc[1][3] = c13;
  acc[1][4] = c14; acc[1][5] = c15; acc[1][6] = c16; acc[1][7] = c17;
}

/* One row (GEMV): the row is its own pair (8 bytes loaded into both halves), so both rows of
 * each tile are the same. Per 16 steps: 2 + 4 loads, 16 smmla, 2 loop instructions. */
static inline __attribute__((always_inline)) void qs8_neoni8mm_1x16_acc(int32x4_t acc[8], const int8_t* a,
                                                                        const int8_t* w, const int32_t* bias,
                                                                        size_t kc) {
  int32x4_t c00, c01, c02, c03, c04, c05, c06, c07;
  __asm__(
      QS8_BIAS8(0)
      "subs %[n], %[n], #16\n\t"
      "b.lo 2f\n"
      "1:\n\t"
      "ld1r {v20.2d}, [%[a0]], #8\n\t" "ld1r {v21.2d}, [%[a0]], #8\n\t"
      QS8_W8 QS8_MM8(0, "v20")
      QS8_W8 QS8_MM8(0, "v21")
      "subs %[n], %[n], #16\n\t"
      "b.hs 1b\n"
      "2:\n\t"
      "tbz %[n], #3, 3f\n\t"
      "ld1r {v20.2d}, [%[a0]]\n\t"
      QS8_W8 QS8_MM8(0, "v20")
      "3:\n\t"
      : [c00] "=&w"(c00), [c01] "=&w"(c01), [c02] "=&w"(c02), [c03] "=&w"(c03),
        [c04] "=&w"(c04), [c05] "=&w"(c05), [c06] "=&w"(c06), [c07] "=&w"(c07),
        [a0] "+r"(a), [wp] "+r"(w), [n] "+r"(kc), [b] "+r"(bias)
      :
      : "cc", "memory", "v20", "v21", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
  acc[4] = c04; acc[5] = c05; acc[6] = c06; acc[7] = c07;
}

#endif
