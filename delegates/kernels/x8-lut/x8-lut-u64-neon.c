/* aarch64 NEON LUT: the 256-byte table in four 64-byte quarters held in v16-v31 for the whole call;
 * per 16 (or 8) inputs one TBL on the first quarter and three TBX on index - 64k (an index outside 0..63
 * leaves the lane as it is), 64 inputs per loop step. In inline assembly because the compiler
 * spilled two table quarters and reloaded them every step (41 instructions per 64 bytes; here 32). */
/* Variant of x8-lut-u32-avx2.c: one file per ISA, as in XNNPACK. */
#include <stdint.h>

#include "x8-lut/x8-lut.h"

/* one 16-byte block: input in X (clobbered), result in Y; v8 = 64 in every byte */
#define LUT_BLOCK(X, Y)                                                                             \
  "tbl " Y ".16b, {v16.16b-v19.16b}, " X ".16b\n\t" "sub " X ".16b, " X ".16b, v8.16b\n\t"        \
  "tbx " Y ".16b, {v20.16b-v23.16b}, " X ".16b\n\t" "sub " X ".16b, " X ".16b, v8.16b\n\t"        \
  "tbx " Y ".16b, {v24.16b-v27.16b}, " X ".16b\n\t" "sub " X ".16b, " X ".16b, v8.16b\n\t"        \
  "tbx " Y ".16b, {v28.16b-v31.16b}, " X ".16b\n\t"

void x8_lut_u64_neon(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]) {
  const uint8_t* t = (const uint8_t*)table;
  const uint8_t* x = (const uint8_t*)input;
  uint8_t* y = (uint8_t*)output;
  size_t blocks64 = n / 64, blocks16 = n % 64 / 16, block8 = n % 16 / 8;
  if (n >= 8) {
    __asm__ volatile(
        "ld1 {v16.16b-v19.16b}, [%[t]], #64\n\t"
        "ld1 {v20.16b-v23.16b}, [%[t]], #64\n\t"
        "ld1 {v24.16b-v27.16b}, [%[t]], #64\n\t"
        "ld1 {v28.16b-v31.16b}, [%[t]]\n\t"
        "movi v8.16b, #64\n\t"
        "cbz %[b64], 2f\n"
        "1:\n\t"
        "ld1 {v0.16b-v3.16b}, [%[x]], #64\n\t"
        /* the four blocks interleaved step by step (independent chains) */
        "tbl v4.16b, {v16.16b-v19.16b}, v0.16b\n\t" "tbl v5.16b, {v16.16b-v19.16b}, v1.16b\n\t"
        "tbl v6.16b, {v16.16b-v19.16b}, v2.16b\n\t" "tbl v7.16b, {v16.16b-v19.16b}, v3.16b\n\t"
        "sub v0.16b, v0.16b, v8.16b\n\t" "sub v1.16b, v1.16b, v8.16b\n\t"
        "sub v2.16b, v2.16b, v8.16b\n\t" "sub v3.16b, v3.16b, v8.16b\n\t"
        "tbx v4.16b, {v20.16b-v23.16b}, v0.16b\n\t" "tbx v5.16b, {v20.16b-v23.16b}, v1.16b\n\t"
        "tbx v6.16b, {v20.16b-v23.16b}, v2.16b\n\t" "tbx v7.16b, {v20.16b-v23.16b}, v3.16b\n\t"
        "sub v0.16b, v0.16b, v8.16b\n\t" "sub v1.16b, v1.16b, v8.16b\n\t"
        "sub v2.16b, v2.16b, v8.16b\n\t" "sub v3.16b, v3.16b, v8.16b\n\t"
        "tbx v4.16b, {v24.16b-v27.16b}, v0.16b\n\t" "tbx v5.16b, {v24.16b-v27.16b}, v1.16b\n\t"
        "tbx v6.16b, {v24.16b-v27.16b}, v2.16b\n\t" "tbx v7.16b, {v24.16b-v27.16b}, v3.16b\n\t"
        "sub v0.16b, v0.16b, v8.16b\n\t" "sub v1.16b, v1.16b, v8.16b\n\t"
        "sub v2.16b, v2.16b, v8.16b\n\t" "sub v3.16b, v3.16b, v8.16b\n\t"
        "tbx v4.16b, {v28.16b-v31.16b}, v0.16b\n\t" "tbx v5.16b, {v28.16b-v31.16b}, v1.16b\n\t"
        "tbx v6.16b, {v28.16b-v31.16b}, v2.16b\n\t" "tbx v7.16b, {v28.16b-v31.16b}, v3.16b\n\t"
        "st1 {v4.16b-v7.16b}, [%[y]], #64\n\t"
        "subs %[b64], %[b64], #1\n\t"
        "b.ne 1b\n"
        "2:\n\t"
        "cbz %[b16], 4f\n"
        "3:\n\t"
        "ldr q0, [%[x]], #16\n\t"
        LUT_BLOCK("v0", "v4")
        "str q4, [%[y]], #16\n\t"
        "subs %[b16], %[b16], #1\n\t"
        "b.ne 3b\n"
        "4:\n\t"
        "cbz %[b8], 5f\n\t"
        "ldr d0, [%[x]], #8\n\t"
        "tbl v4.8b, {v16.16b-v19.16b}, v0.8b\n\t" "sub v0.8b, v0.8b, v8.8b\n\t"
        "tbx v4.8b, {v20.16b-v23.16b}, v0.8b\n\t" "sub v0.8b, v0.8b, v8.8b\n\t"
        "tbx v4.8b, {v24.16b-v27.16b}, v0.8b\n\t" "sub v0.8b, v0.8b, v8.8b\n\t"
        "tbx v4.8b, {v28.16b-v31.16b}, v0.8b\n\t"
        "str d4, [%[y]], #8\n"
        "5:\n\t"
        : [t] "+r"(t), [x] "+r"(x), [y] "+r"(y), [b64] "+r"(blocks64), [b16] "+r"(blocks16)
        : [b8] "r"(block8)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v16", "v17", "v18", "v19",
          "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
    t = (const uint8_t*)table;
  }
  for (n %= 8; n != 0; --n) *y++ = t[*x++]; /* never touch memory past the tensors */
}
