/* The common depthwise case on AArch64 in inline assembly: 3x3 (9 taps), a full tile of 16
 * channels, int8 weights without -128 (taps in pairs: smull + smlal in int16, saddw into int32),
 * double rounding with every shift negative. The tile's weights and requant constants stay in
 * registers for all pixels; per pixel: 5 pointer loads, 9 row loads, the bias (one ld1), 38
 * multiply / widen-add instructions, 12 for the requantization; the zero point is added after
 * the first saturating narrow (sqadd in int16: equal to adding it in int32 and clamping, since
 * the clamp bounds lie well inside int16); one post-indexed store. About 78 instructions per pixel and
 * tile, 76 without the clamp. */
#ifndef EDGEQ_QS8_DWCONV_9P16C_NEON_ASM_H
#define EDGEQ_QS8_DWCONV_9P16C_NEON_ASM_H

#include <stddef.h>
#include <stdint.h>

/* taps A, B (inputs XA, XB; weights WA, WB) into v20-v23, products in P0, P1 */
#define QS8_DW_PAIR(XA, XB, WA, WB, P0, P1)                                                   \
  "smull " P0 ".8h, " XA ".8b, " WA ".8b\n\t" "smull2 " P1 ".8h, " XA ".16b, " WA ".16b\n\t" \
  "smlal " P0 ".8h, " XB ".8b, " WB ".8b\n\t" "smlal2 " P1 ".8h, " XB ".16b, " WB ".16b\n\t" \
  "saddw v20.4s, v20.4s, " P0 ".4h\n\t" "saddw2 v21.4s, v21.4s, " P0 ".8h\n\t"               \
  "saddw v22.4s, v22.4s, " P1 ".4h\n\t" "saddw2 v23.4s, v23.4s, " P1 ".8h\n\t"

/* pixels x 16 channels from channel c0: pixel p reads rows ind[9p..9p+8] + c0 and writes
 * out + p * out_stride. w8: the tile's 9 x 16 int8 weights; mult / shift (< 0): its requant. */
/* NAME clamps to [out_min, out_max]; NAME_nc is for out_min = -128, out_max = 127 (the saturating
 * narrow clamps) */
#define QS8_DW_9P16C_NEON_ASM(NAME, CLAMP_ASM)                                                                  \
static inline void NAME(size_t pixels, const int8_t* const* ind, size_t c0, const int32_t* bias,              \
                        const int32_t* mult, const int32_t* shift, const int8_t* w8, int8_t* out,              \
                        size_t out_stride, int32_t zp, int32_t out_min, int32_t out_max) {                     \
  __asm__ volatile(                                                                                            \
      "ld1 {v0.16b-v3.16b}, [%[w8]], #64\n\t"                                                                  \
      "ld1 {v4.16b-v7.16b}, [%[w8]], #64\n\t"                                                                  \
      "ld1 {v8.16b}, [%[w8]]\n\t"                                                                              \
      "ld1 {v9.4s-v12.4s}, [%[mult]]\n\t"                                                                      \
      "ld1 {v13.4s-v16.4s}, [%[shift]]\n\t"                                                                    \
      "dup v17.8h, %w[zp]\n\t"                                                                                 \
      "dup v18.16b, %w[lo]\n\t"                                                                                \
      "dup v19.16b, %w[hi]\n"                                                                                  \
      "1:\n\t"                                                                                                 \
      "ldp x9, x10, [%[ind]], #16\n\t"                                                                         \
      "ldp x11, x12, [%[ind]], #16\n\t"                                                                        \
      "ldr q24, [x9, %[c0]]\n\t"                                                                               \
      "ldr q25, [x10, %[c0]]\n\t"                                                                              \
      "ldp x13, x14, [%[ind]], #16\n\t"                                                                        \
      "ldr q28, [x11, %[c0]]\n\t"                                                                              \
      "ldr q29, [x12, %[c0]]\n\t"                                                                              \
      "ld1 {v20.4s-v23.4s}, [%[bias]]\n\t"                                                                     \
      "ldp x15, x16, [%[ind]], #16\n\t"                                                                        \
      QS8_DW_PAIR("v24", "v25", "v0", "v1", "v26", "v27")                                                      \
      "ldr q24, [x13, %[c0]]\n\t"                                                                              \
      "ldr q25, [x14, %[c0]]\n\t"                                                                              \
      "ldr x17, [%[ind]], #8\n\t"                                                                              \
      QS8_DW_PAIR("v28", "v29", "v2", "v3", "v30", "v31")                                                      \
      "ldr q28, [x15, %[c0]]\n\t"                                                                              \
      "ldr q29, [x16, %[c0]]\n\t"                                                                              \
      QS8_DW_PAIR("v24", "v25", "v4", "v5", "v26", "v27")                                                      \
      "ldr q24, [x17, %[c0]]\n\t"                                                                              \
      QS8_DW_PAIR("v28", "v29", "v6", "v7", "v30", "v31")                                                      \
      "smull v26.8h, v24.8b, v8.8b\n\t" "smull2 v27.8h, v24.16b, v8.16b\n\t"                                   \
      "saddw v20.4s, v20.4s, v26.4h\n\t" "saddw2 v21.4s, v21.4s, v26.8h\n\t"                                   \
      "saddw v22.4s, v22.4s, v27.4h\n\t" "saddw2 v23.4s, v23.4s, v27.8h\n\t"                                   \
      "sqrdmulh v20.4s, v20.4s, v9.4s\n\t" "sqrdmulh v21.4s, v21.4s, v10.4s\n\t"                               \
      "sqrdmulh v22.4s, v22.4s, v11.4s\n\t" "sqrdmulh v23.4s, v23.4s, v12.4s\n\t"                              \
      "ssra v20.4s, v20.4s, #31\n\t" "ssra v21.4s, v21.4s, #31\n\t"                                            \
      "ssra v22.4s, v22.4s, #31\n\t" "ssra v23.4s, v23.4s, #31\n\t"                                            \
      "srshl v20.4s, v20.4s, v13.4s\n\t" "srshl v21.4s, v21.4s, v14.4s\n\t"                                    \
      "srshl v22.4s, v22.4s, v15.4s\n\t" "srshl v23.4s, v23.4s, v16.4s\n\t"                                    \
      "sqxtn v20.4h, v20.4s\n\t" "sqxtn v22.4h, v22.4s\n\t"                                                    \
      "sqxtn2 v20.8h, v21.4s\n\t" "sqxtn2 v22.8h, v23.4s\n\t"                                                  \
      "sqadd v20.8h, v20.8h, v17.8h\n\t" "sqadd v22.8h, v22.8h, v17.8h\n\t"                                    \
      "sqxtn v20.8b, v20.8h\n\t"                                                                               \
      "sqxtn2 v20.16b, v22.8h\n\t"                                                                             \
      CLAMP_ASM                                                                                                \
      "st1 {v20.16b}, [%[out]], %[os]\n\t"                                                                     \
      "subs %[n], %[n], #1\n\t"                                                                                \
      "b.ne 1b\n\t"                                                                                            \
      : [ind] "+r"(ind), [out] "+r"(out), [n] "+r"(pixels), [w8] "+r"(w8)                                      \
      : [c0] "r"(c0), [bias] "r"(bias), [mult] "r"(mult), [shift] "r"(shift), [os] "r"(out_stride),            \
        [zp] "r"(zp), [lo] "r"(out_min), [hi] "r"(out_max)                                                     \
      : "cc", "memory", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "v0", "v1", "v2", "v3",  \
        "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18",     \
        "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");            \
}

QS8_DW_9P16C_NEON_ASM(qs8_dwconv_9p16c_neon_asm,
                      "smax v20.16b, v20.16b, v18.16b\n\t" "smin v20.16b, v20.16b, v19.16b\n\t")
QS8_DW_9P16C_NEON_ASM(qs8_dwconv_9p16c_neon_asm_nc, "")

#endif
