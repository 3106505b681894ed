/* Accumulation of the 4x16c4 SDOT kernel (int8 weights) for 4 rows and for 1 row, in inline
 * assembly: bias in, every k step, accumulators out in registers the compiler picks (from
 * v0-v19), ready for the C requantization. With intrinsics GCC 12 loads all 16 weight registers
 * of a 16-step block up front and spills accumulators; here each 64-byte weight quad is one ld1
 * of four registers (double-buffered in v20-v23 / v28-v31) and activations are post-indexed
 * loads. Per 16 steps and 4 rows: 4 + 4 loads, 64 sdot, 2 loop instructions. kc is a multiple
 * of 4: 16-step loop, then an 8- and a 4-step tail; nothing is read past a row's kc bytes. */
#ifndef EDGEQ_QS8_GEMM_NEONDOT_ASM_H
#define EDGEQ_QS8_GEMM_NEONDOT_ASM_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#define QS8_SD(c, w, a, l) "sdot %[" #c "].4s, " w ".16b, " a ".4b[" #l "]\n\t"
/* one activation lane of 4 rows x 16 channels: weights in W0..W3, rows in v24..v27 */
#define QS8_SD_ROW(r, l, W0, W1, W2, W3, A) \
  QS8_SD(c##r##0, W0, A, l) QS8_SD(c##r##1, W1, A, l) QS8_SD(c##r##2, W2, A, l) QS8_SD(c##r##3, W3, A, l)
#define QS8_SD4x16(l, W0, W1, W2, W3)                                                        \
  QS8_SD_ROW(0, l, W0, W1, W2, W3, "v24") QS8_SD_ROW(1, l, W0, W1, W2, W3, "v25")         \
  QS8_SD_ROW(2, l, W0, W1, W2, W3, "v26") QS8_SD_ROW(3, l, W0, W1, W2, W3, "v27")
#define QS8_WA "ld1 {v28.16b-v31.16b}, [%[wp]], #64\n\t"
#define QS8_WB "ld1 {v20.16b-v23.16b}, [%[wp]], #64\n\t"
#define QS8_A4(sz, post)                                                                      \
  "ldr " sz "24, [%[a0]]" post "\n\t" "ldr " sz "25, [%[a1]]" post "\n\t"                       \
  "ldr " sz "26, [%[a2]]" post "\n\t" "ldr " sz "27, [%[a3]]" post "\n\t"

/* acc[r][j] = bias[4j..4j+3] + rows a + r * lda (kc bytes each) x the packed weights w. */
static inline __attribute__((always_inline)) void qs8_neondot_4x16_acc(int32x4_t acc[4][4], const int8_t* a,
                                                                       size_t lda, const int8_t* w,
                                                                       const int32_t* bias, size_t kc) {
  const int8_t *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  size_t blocks = kc / 16;
  int32x4_t c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
  __asm__(
      "ldp %q[c00], %q[c01], [%[b]]\n\t" "ldp %q[c02], %q[c03], [%[b], #32]\n\t"
      "ldp %q[c10], %q[c11], [%[b]]\n\t" "ldp %q[c12], %q[c13], [%[b], #32]\n\t"
      "ldp %q[c20], %q[c21], [%[b]]\n\t" "ldp %q[c22], %q[c23], [%[b], #32]\n\t"
      "ldp %q[c30], %q[c31], [%[b]]\n\t" "ldp %q[c32], %q[c33], [%[b], #32]\n\t"
      "cbz %[n], 2f\n"
      "1:\n\t"
      QS8_A4("q", ", #16") QS8_WA QS8_WB
      QS8_SD4x16(0, "v28", "v29", "v30", "v31") QS8_WA
      QS8_SD4x16(1, "v20", "v21", "v22", "v23") QS8_WB
      QS8_SD4x16(2, "v28", "v29", "v30", "v31")
      QS8_SD4x16(3, "v20", "v21", "v22", "v23")
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n"
      "2:\n\t"
      "tbz %[kr], #3, 3f\n\t"
      QS8_A4("d", ", #8") QS8_WA QS8_WB
      QS8_SD4x16(0, "v28", "v29", "v30", "v31")
      QS8_SD4x16(1, "v20", "v21", "v22", "v23")
      "3:\n\t"
      "tbz %[kr], #2, 4f\n\t"
      QS8_A4("s", "") QS8_WA
      QS8_SD4x16(0, "v28", "v29", "v30", "v31")
      "4:\n\t"
      : [c00] "=&w"(c00), [c01] "=&w"(c01), [c02] "=&w"(c02), [c03] "=&w"(c03),
        [c10] "=&w"(c10), [c11] "=&w"(c11), [c12] "=&w"(c12), [c13] "=&w"(c13),
        [c20] "=&w"(c20), [c21] "=&w"(c21), [c22] "=&w"(c22), [c23] "=&w"(c23),
        [c30] "=&w"(c30), [c31] "=&w"(c31), [c32] "=&w"(c32), [c33] "=&w"(c33),
        [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [wp] "+r"(w), [n] "+r"(blocks)
      : [b] "r"(bias), [kr] "r"(kc)
      : "cc", "memory", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  acc[0][0] = c00; acc[0][1] = c01; acc[0][2] = c02; acc[0][3] = c03;
  acc[1][0] = c10; acc[1][1] = c11; acc[1][2] = c12; acc[1][3] = c13;
  acc[2][0] = c20; acc[2][1] = c21; acc[2][2] = c22; acc[2][3] = c23;
  acc[3][0] = c30; acc[3][1] = c31; acc[3][2] = c32; acc[3][3] = c33;
}

/* One row (GEMV): a second accumulator set (d, lanes 1 and 3) so consecutive sdots do not wait
 * on each other, added at the end. Per 16 steps: 1 + 4 loads, 16 sdot, 2 loop instructions. */
static inline __attribute__((always_inline)) void qs8_neondot_1x16_acc(int32x4_t acc[4], const int8_t* a,
                                                                       const int8_t* w, const int32_t* bias,
                                                                       size_t kc) {
  size_t blocks = kc / 16;
  int32x4_t c00, c01, c02, c03, c10, c11, c12, c13;
  __asm__(
      "ldp %q[c00], %q[c01], [%[b]]\n\t" "ldp %q[c02], %q[c03], [%[b], #32]\n\t"
      "movi %[c10].4s, #0\n\t" "movi %[c11].4s, #0\n\t" "movi %[c12].4s, #0\n\t" "movi %[c13].4s, #0\n\t"
      "cbz %[n], 2f\n"
      "1:\n\t"
      "ldr q24, [%[a0]], #16\n\t" QS8_WA QS8_WB
      QS8_SD_ROW(0, 0, "v28", "v29", "v30", "v31", "v24") QS8_WA
      QS8_SD_ROW(1, 1, "v20", "v21", "v22", "v23", "v24") QS8_WB
      QS8_SD_ROW(0, 2, "v28", "v29", "v30", "v31", "v24")
      QS8_SD_ROW(1, 3, "v20", "v21", "v22", "v23", "v24")
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n"
      "2:\n\t"
      "tbz %[kr], #3, 3f\n\t"
      "ldr d24, [%[a0]], #8\n\t" QS8_WA QS8_WB
      QS8_SD_ROW(0, 0, "v28", "v29", "v30", "v31", "v24")
      QS8_SD_ROW(1, 1, "v20", "v21", "v22", "v23", "v24")
      "3:\n\t"
      "tbz %[kr], #2, 4f\n\t"
      "ldr s24, [%[a0]]\n\t" QS8_WA
      QS8_SD_ROW(0, 0, "v28", "v29", "v30", "v31", "v24")
      "4:\n\t"
      "add %[c00].4s, %[c00].4s, %[c10].4s\n\t" "add %[c01].4s, %[c01].4s, %[c11].4s\n\t"
      "add %[c02].4s, %[c02].4s, %[c12].4s\n\t" "add %[c03].4s, %[c03].4s, %[c13].4s\n\t"
      : [c00] "=&w"(c00), [c01] "=&w"(c01), [c02] "=&w"(c02), [c03] "=&w"(c03),
        [c10] "=&w"(c10), [c11] "=&w"(c11), [c12] "=&w"(c12), [c13] "=&w"(c13),
        [a0] "+r"(a), [wp] "+r"(w), [n] "+r"(blocks)
      : [b] "r"(bias), [kr] "r"(kc)
      : "cc", "memory", "v20", "v21", "v22", "v23", "v24", "v28", "v29", "v30", "v31");
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
}

#endif
