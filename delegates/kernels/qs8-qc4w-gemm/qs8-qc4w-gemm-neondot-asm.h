/* Accumulation of the int4 4x16c4 SDOT kernel for 1 row (GEMV, the int4 MLP case) in inline
 * assembly. Each 64-byte group: step quad 2g in the low nibbles, 2g+1 in the high ones of four q
 * registers (channels 4j..4j+3); shl #4 / and 0xF0 make them 16 x the weights, so the result is
 * bias + (sum >> 4) (ssra, exact for k < 131072). Two accumulator sets (low / high nibbles) keep
 * consecutive sdots independent. Per 16 steps: 1 + 2 loads, 8 shl, 8 and, 16 sdot, 2 loop
 * instructions. kc is a multiple of 4; nothing is read past the row's kc bytes. */
#ifndef EDGEQ_QS8_QC4W_GEMM_NEONDOT_ASM_H
#define EDGEQ_QS8_QC4W_GEMM_NEONDOT_ASM_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

/* two channel quads (registers W0, W1) of a group: low nibbles x lane L, high x lane H */
#define QS8_Q4_PAIR(j0, j1, W0, W1, L, H)                                                   \
  "and v26.16b, " W0 ".16b, v25.16b\n\t" "and v27.16b, " W1 ".16b, v25.16b\n\t"             \
  "shl " W0 ".16b, " W0 ".16b, #4\n\t" "shl " W1 ".16b, " W1 ".16b, #4\n\t"                 \
  "sdot %[c" #j0 "].4s, " W0 ".16b, v24.4b[" #L "]\n\t"                                    \
  "sdot %[c" #j1 "].4s, " W1 ".16b, v24.4b[" #L "]\n\t"                                    \
  "sdot %[d" #j0 "].4s, v26.16b, v24.4b[" #H "]\n\t"                                       \
  "sdot %[d" #j1 "].4s, v27.16b, v24.4b[" #H "]\n\t"
#define QS8_Q4_GROUP(W0, W1, W2, W3, L, H) QS8_Q4_PAIR(0, 1, W0, W1, L, H) QS8_Q4_PAIR(2, 3, W2, W3, L, H)
#define QS8_Q4_LO(j, W, L) "shl " W ".16b, " W ".16b, #4\n\t" "sdot %[c" #j "].4s, " W ".16b, v24.4b[" #L "]\n\t"

/* acc[j] = bias[4j..4j+3] + (row a (kc bytes) x the packed int4 weights w) */
static inline __attribute__((always_inline)) void qs8_qc4w_neondot_1x16_acc(int32x4_t acc[4], const int8_t* a,
                                                                            const int8_t* w, const int32_t* bias,
                                                                            size_t kc) {
  int32x4_t c0, c1, c2, c3, d0, d1, d2, d3;
  __asm__(
      "movi %[c0].4s, #0\n\t" "movi %[c1].4s, #0\n\t" "movi %[c2].4s, #0\n\t" "movi %[c3].4s, #0\n\t"
      "movi %[d0].4s, #0\n\t" "movi %[d1].4s, #0\n\t" "movi %[d2].4s, #0\n\t" "movi %[d3].4s, #0\n\t"
      "movi v25.16b, #0xf0\n\t"
      "subs %[n], %[n], #16\n\t"
      "b.lo 2f\n"
      "1:\n\t"
      "ldr q24, [%[a0]], #16\n\t"
      "ld1 {v28.16b-v31.16b}, [%[wp]], #64\n\t"
      "ld1 {v20.16b-v23.16b}, [%[wp]], #64\n\t"
      QS8_Q4_GROUP("v28", "v29", "v30", "v31", 0, 1)
      QS8_Q4_GROUP("v20", "v21", "v22", "v23", 2, 3)
      "subs %[n], %[n], #16\n\t"
      "b.hs 1b\n"
      "2:\n\t" /* n = kc % 16 - 16: bit 3 set when 8 steps are left, bit 2 when 4 more are */
      "tbz %[n], #3, 3f\n\t"
      "ldr d24, [%[a0]], #8\n\t"
      "ld1 {v28.16b-v31.16b}, [%[wp]], #64\n\t"
      QS8_Q4_GROUP("v28", "v29", "v30", "v31", 0, 1)
      "3:\n\t"
      "tbz %[n], #2, 4f\n\t"
      "ldr s24, [%[a0]]\n\t"
      "ld1 {v28.16b-v31.16b}, [%[wp]]\n\t"
      QS8_Q4_LO(0, "v28", 0) QS8_Q4_LO(1, "v29", 0) QS8_Q4_LO(2, "v30", 0) QS8_Q4_LO(3, "v31", 0)
      "4:\n\t"
      "add %[c0].4s, %[c0].4s, %[d0].4s\n\t" "add %[c1].4s, %[c1].4s, %[d1].4s\n\t"
      "add %[c2].4s, %[c2].4s, %[d2].4s\n\t" "add %[c3].4s, %[c3].4s, %[d3].4s\n\t"
      "ldp %q[d0], %q[d1], [%[b]]\n\t" "ldp %q[d2], %q[d3], [%[b], #32]\n\t"
      "ssra %[d0].4s, %[c0].4s, #4\n\t" "ssra %[d1].4s, %[c1].4s, #4\n\t"
      "ssra %[d2].4s, %[c2].4s, #4\n\t" "ssra %[d3].4s, %[c3].4s, #4\n\t"
      : [c0] "=&w"(c0), [c1] "=&w"(c1), [c2] "=&w"(c2), [c3] "=&w"(c3),
        [d0] "=&w"(d0), [d1] "=&w"(d1), [d2] "=&w"(d2), [d3] "=&w"(d3),
        [a0] "+r"(a), [wp] "+r"(w), [n] "+r"(kc)
      : [b] "r"(bias)
      : "cc", "memory", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  acc[0] = d0; acc[1] = d1; acc[2] = d2; acc[3] = d3;
}

#endif
