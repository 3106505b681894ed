/* The frame shared by the AArch64 inline-assembly depthwise kernels of one full tile (16 channels):
 * the per-pixel loop, the double-rounding requantization with every shift negative (sqrdmulh,
 * the sign fixup, srshl by the shift; the zero point added after the first saturating narrow,
 * in int16, which equals adding it in int32 and clamping since the clamp bounds lie well inside
 * int16) and the single-tap step. Each kernel file supplies its tap steps. */
#ifndef EDGEQ_QS8_DWCONV_16C_ASM_H
#define EDGEQ_QS8_DWCONV_16C_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "qs8-dwconv/qs8-dwconv-ukernel.h"

/* one tap, its 16 int8 weights in channel order at x13: smull (one product fits int16) */
#define QS8_DW_ASM_TAP1                                                                               \
  "ldr x9, [%[ind]], #8\n\t" "ldr q24, [x9, %[c0]]\n\t" "ldr q16, [x13]\n\t"                          \
  "smull v28.8h, v24.8b, v16.8b\n\t" "smull2 v29.8h, v24.16b, v16.16b\n\t"                            \
  "saddw v20.4s, v20.4s, v28.4h\n\t" "saddw2 v21.4s, v21.4s, v28.8h\n\t"                              \
  "saddw v22.4s, v22.4s, v29.4h\n\t" "saddw2 v23.4s, v23.4s, v29.8h\n\t"

typedef void (*qs8_dw_asm_fn)(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile,
                          const int8_t* w, size_t groups, int8_t* out, size_t out_stride,
                          const qs8_dw_out_params* p);

/* pixels x 16 channels from c0 (pixel p: rows ind[taps*p ..] + c0, out + p * out_stride) with the
 * tile's bias, multipliers and (negative) shifts. PROLOGUE_ASM runs once (it may load TABLE), then
 * per pixel GROUPS_ASM and REM_ASM accumulate the taps into v20-v23, reading weights from x13 (w
 * at the pixel's start) and tap pointers from ind; they may use x9-x12, x14 (groups), v0-v3 and
 * v16-v19, v24-v31. Registers v4-v14 hold the requantization constants. */
#define QS8_DW_ASM_CLAMP "smax v20.16b, v20.16b, v13.16b\n\t" "smin v20.16b, v20.16b, v14.16b\n\t"

/* NAME clamps to [out_min, out_max]; NAME##_nc is for out_min = -128 and out_max = 127, where the
 * saturating narrow is the clamp. */
#define QS8_DW_ASM_KERNEL(NAME, TABLE, PROLOGUE_ASM, GROUPS_ASM, REM_ASM)                             \
  QS8_DW_ASM_KERNEL_X(NAME, TABLE, PROLOGUE_ASM, GROUPS_ASM, REM_ASM, QS8_DW_ASM_CLAMP)               \
  QS8_DW_ASM_KERNEL_X(NAME##_nc, TABLE, PROLOGUE_ASM, GROUPS_ASM, REM_ASM, "")

#define QS8_DW_ASM_KERNEL_X(NAME, TABLE, PROLOGUE_ASM, GROUPS_ASM, REM_ASM, CLAMP_ASM)                \
  static void NAME(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile,           \
                   const int8_t* w, size_t groups, int8_t* out, size_t out_stride,                 \
                   const qs8_dw_out_params* p) {                                                      \
    __asm__ volatile(                                                                                 \
        PROLOGUE_ASM                                                                                  \
        "ld1 {v4.4s-v7.4s}, [%[mult]]\n\t"                                                            \
        "ld1 {v8.4s-v11.4s}, [%[shift]]\n\t"                                                          \
        "dup v12.8h, %w[zp]\n\t"                                                                      \
        "dup v13.16b, %w[lo]\n\t"                                                                     \
        "dup v14.16b, %w[hi]\n"                                                                       \
        "1:\n\t"                                                                                      \
        "ld1 {v20.4s-v23.4s}, [%[bias]]\n\t"                                                          \
        "mov x13, %[w]\n\t"                                                                           \
        GROUPS_ASM REM_ASM                                                                            \
        "sqrdmulh v20.4s, v20.4s, v4.4s\n\t" "sqrdmulh v21.4s, v21.4s, v5.4s\n\t"                     \
        "sqrdmulh v22.4s, v22.4s, v6.4s\n\t" "sqrdmulh v23.4s, v23.4s, v7.4s\n\t"                     \
        "ssra v20.4s, v20.4s, #31\n\t" "ssra v21.4s, v21.4s, #31\n\t"                                 \
        "ssra v22.4s, v22.4s, #31\n\t" "ssra v23.4s, v23.4s, #31\n\t"                                 \
        "srshl v20.4s, v20.4s, v8.4s\n\t" "srshl v21.4s, v21.4s, v9.4s\n\t"                           \
        "srshl v22.4s, v22.4s, v10.4s\n\t" "srshl v23.4s, v23.4s, v11.4s\n\t"                         \
        "sqxtn v20.4h, v20.4s\n\t" "sqxtn v22.4h, v22.4s\n\t"                                         \
        "sqxtn2 v20.8h, v21.4s\n\t" "sqxtn2 v22.8h, v23.4s\n\t"                                       \
        "sqadd v20.8h, v20.8h, v12.8h\n\t" "sqadd v22.8h, v22.8h, v12.8h\n\t"                         \
        "sqxtn v20.8b, v20.8h\n\t" "sqxtn2 v20.16b, v22.8h\n\t"                                       \
        CLAMP_ASM                                                                                     \
        "st1 {v20.16b}, [%[out]], %[os]\n\t"                                                          \
        "subs %[n], %[n], #1\n\t"                                                                     \
        "b.ne 1b\n\t"                                                                                 \
        : [ind] "+r"(ind), [out] "+r"(out), [n] "+r"(pixels)                                          \
        : [c0] "r"(c0), [bias] "r"(qs8_dw_tile_bias(tile)), [mult] "r"(qs8_dw_tile_mult(tile)),       \
          [shift] "r"(qs8_dw_tile_shift(tile)), [w] "r"(w), [groups] "r"(groups),                  \
          [tr] "r"(TABLE), [os] "r"(out_stride), [zp] "r"(p->out_zp), [lo] "r"(p->out_min),      \
          [hi] "r"(p->out_max)                                                                        \
        : "cc", "memory", "x9", "x10", "x11", "x12", "x13", "x14", "v0", "v1", "v2", "v3", "v4", "v5", \
          "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v16", "v17", "v18", "v19",        \
          "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");         \
    (void)groups;                                                                                     \
  }

#endif
