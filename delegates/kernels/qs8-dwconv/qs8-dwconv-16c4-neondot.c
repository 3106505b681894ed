/* AArch64 SDOT depthwise kernel (FEAT_DotProd), any kernel size, in inline assembly.
 *
 * SDOT sums four int8 products per int32 lane, so it needs one channel's four taps side by side;
 * the rows come channels-innermost (one 16-byte load per tap), so four tap rows are transposed in
 * registers with four TBL lookups into the 64-byte table they form (lane 4i+s of output j = tap s,
 * channel 4j+i). Per pixel and group of four taps: two pointer pairs, four row loads, one
 * 64-byte weight load, four TBL, four SDOT: 15 instructions where the tap-pair kernel (smull,
 * smlal, four saddw per pair) needs 23. Products are exact for every int8 weight, -128 included.
 * The last taps % 4 taps: 1 by smull (one int8 x int8 product fits int16), 2 or 3 by TBL on a
 * 2- or 3-register table (out-of-range lanes read 0). Weights: the tile's SDOT section
 * (qs8_dw_tile_wdot). 3x3 and 5x5 are unrolled; other sizes loop over groups.
 *
 * Requantization: double rounding with every shift negative (the plan's right_only: sqrdmulh,
 * the sign fixup, srshl by the shift), the tile's constants in registers. Plans with a left or
 * zero shift, mode=fast, or fewer than 16 channels run the NEON kernel (qs8-dwconv-16c-neon.c).
 * A channel tail runs as one more full tile over the last 16 channels (the plan packs that
 * overlap tile after the others), rewriting the channels it shares with the previous tile with
 * the same values, so no load or store is ever partial. */
#include <stddef.h>
#include <stdint.h>

#include "qs8-dwconv/qs8-dwconv-16c-asm.h"

/* TBL indices: output j, lane 4i+s reads tap s (table byte 16s) of channel 4j+i */
static const uint8_t kTranspose[64] = {
    0,  16, 32, 48, 1,  17, 33, 49, 2,  18, 34, 50, 3,  19, 35, 51,
    4,  20, 36, 52, 5,  21, 37, 53, 6,  22, 38, 54, 7,  23, 39, 55,
    8,  24, 40, 56, 9,  25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59,
    12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};

#define DW_TBL_SDOT(TABLE)                                                                            \
  "tbl v28.16b, {" TABLE "}, v0.16b\n\t" "tbl v29.16b, {" TABLE "}, v1.16b\n\t"                       \
  "tbl v30.16b, {" TABLE "}, v2.16b\n\t" "tbl v31.16b, {" TABLE "}, v3.16b\n\t"                       \
  "sdot v20.4s, v28.16b, v16.16b\n\t" "sdot v21.4s, v29.16b, v17.16b\n\t"                              \
  "sdot v22.4s, v30.16b, v18.16b\n\t" "sdot v23.4s, v31.16b, v19.16b\n\t"

/* four taps: rows of ind[0..3] + c0, 64 weight bytes from x13 */
#define DW_GROUP                                                                                      \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldp x11, x12, [%[ind]], #16\n\t"                                  \
  "ldr q24, [x9, %[c0]]\n\t" "ldr q25, [x10, %[c0]]\n\t"                                              \
  "ldr q26, [x11, %[c0]]\n\t" "ldr q27, [x12, %[c0]]\n\t"                                             \
  "ld1 {v16.16b-v19.16b}, [x13], #64\n\t"                                                             \
  DW_TBL_SDOT("v24.16b-v27.16b")

#define DW_REM0 ""
#define DW_REM1 QS8_DW_ASM_TAP1
#define DW_REM2                                                                                       \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldr q24, [x9, %[c0]]\n\t" "ldr q25, [x10, %[c0]]\n\t"             \
  "ld1 {v16.16b-v19.16b}, [x13]\n\t"                                                                  \
  DW_TBL_SDOT("v24.16b-v25.16b")
#define DW_REM3                                                                                       \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldr x11, [%[ind]], #8\n\t"                                        \
  "ldr q24, [x9, %[c0]]\n\t" "ldr q25, [x10, %[c0]]\n\t" "ldr q26, [x11, %[c0]]\n\t"                  \
  "ld1 {v16.16b-v19.16b}, [x13]\n\t"                                                                  \
  DW_TBL_SDOT("v24.16b-v26.16b")

#define DW_PROLOGUE "ld1 {v0.16b-v3.16b}, [%[tr]]\n\t"

#define DW_GROUPS_LOOP                                                                                \
  "mov x14, %[groups]\n"                                                                              \
  "2:\n\t" DW_GROUP "subs x14, x14, #1\n\t" "b.ne 2b\n\t"

QS8_DW_ASM_KERNEL(dw_dot_t1, kTranspose, DW_PROLOGUE, "", DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_t2, kTranspose, DW_PROLOGUE, "", DW_REM2)
QS8_DW_ASM_KERNEL(dw_dot_t3, kTranspose, DW_PROLOGUE, "", DW_REM3)
QS8_DW_ASM_KERNEL(dw_dot_t9, kTranspose, DW_PROLOGUE, DW_GROUP DW_GROUP, DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_t25, kTranspose, DW_PROLOGUE, DW_GROUP DW_GROUP DW_GROUP DW_GROUP DW_GROUP DW_GROUP, DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_loop_r0, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM0)
QS8_DW_ASM_KERNEL(dw_dot_loop_r1, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_loop_r2, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM2)
QS8_DW_ASM_KERNEL(dw_dot_loop_r3, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM3)

static qs8_dw_asm_fn dot_kernel(size_t taps) {
  static const qs8_dw_asm_fn small[4] = {NULL, dw_dot_t1, dw_dot_t2, dw_dot_t3};
  static const qs8_dw_asm_fn loop[4] = {dw_dot_loop_r0, dw_dot_loop_r1, dw_dot_loop_r2, dw_dot_loop_r3};
  if (taps == 9) return dw_dot_t9;
  if (taps == 25) return dw_dot_t25;
  return taps < 4 ? small[taps] : loop[taps % 4];
}

void qs8_dwconv_16c4_neondot(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  if (p->fp32 || !p->right_only || channels < QS8_DW_CT) {
    qs8_dwconv_16c_neon(channels, taps, pixels, ind, packed, out, out_stride, p);
    return;
  }
  if (pixels == 0) return;
  const qs8_dw_asm_fn fn = dot_kernel(taps);
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps), full = channels / QS8_DW_CT;
  const uint8_t* tile = (const uint8_t*)packed;
  for (size_t t = 0; t < full; ++t, tile += tile_bytes)
    fn(pixels, ind, t * QS8_DW_CT, tile, qs8_dw_tile_wdot(tile, taps), taps / 4, out + t * QS8_DW_CT, out_stride,
       p);
  if (channels % QS8_DW_CT) { /* the overlap tile, after the zero-padded last one */
    const uint8_t* over = (const uint8_t*)packed + (full + 1) * tile_bytes;
    fn(pixels, ind, channels - QS8_DW_CT, over, qs8_dw_tile_wdot(over, taps), taps / 4,
       out + channels - QS8_DW_CT, out_stride, p);
  }
}
