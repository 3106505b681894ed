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
QS8_DW_ASM_KERNEL_X(dw_dot_t9, kTranspose, DW_PROLOGUE, DW_GROUP DW_GROUP, DW_REM1, QS8_DW_ASM_CLAMP)
QS8_DW_ASM_KERNEL(dw_dot_t25, kTranspose, DW_PROLOGUE, DW_GROUP DW_GROUP DW_GROUP DW_GROUP DW_GROUP DW_GROUP, DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_loop_r0, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM0)
QS8_DW_ASM_KERNEL(dw_dot_loop_r1, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM1)
QS8_DW_ASM_KERNEL(dw_dot_loop_r2, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM2)
QS8_DW_ASM_KERNEL(dw_dot_loop_r3, kTranspose, DW_PROLOGUE, DW_GROUPS_LOOP, DW_REM3)

/* 3x3 without a clamp (out_min = -128, out_max = 127: the saturating narrow clamps), its 144 weight
 * bytes in registers for the whole call: per pixel two groups (pointer pairs, four row loads, four
 * TBL, four SDOT; the last TBL of a group writes over its table's first row, so two registers take
 * the TBL results), the single tap, the bias load, the requantization and one post-indexed store:
 * 60 instructions per pixel and 16 channels (dw_dot_t9: 67). */
static void dw_dot_t9r(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile, const int8_t* w,
                       size_t groups, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
#define T9R_GROUP(W0, W1, W2, W3)                                                                     \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldp x11, x12, [%[ind]], #16\n\t"                                  \
  "ldr q26, [x9, %[c0]]\n\t" "ldr q27, [x10, %[c0]]\n\t"                                              \
  "ldr q28, [x11, %[c0]]\n\t" "ldr q29, [x12, %[c0]]\n\t"                                             \
  "tbl v30.16b, {v26.16b-v29.16b}, v0.16b\n\t" "tbl v31.16b, {v26.16b-v29.16b}, v1.16b\n\t"            \
  "sdot v22.4s, v30.16b, " W0 ".16b\n\t" "sdot v23.4s, v31.16b, " W1 ".16b\n\t"                        \
  "tbl v30.16b, {v26.16b-v29.16b}, v2.16b\n\t" "tbl v26.16b, {v26.16b-v29.16b}, v3.16b\n\t"            \
  "sdot v24.4s, v30.16b, " W2 ".16b\n\t" "sdot v25.4s, v26.16b, " W3 ".16b\n\t"
  __asm__ volatile(
      "ld1 {v0.16b-v3.16b}, [%[tr]]\n\t"
      "ld1 {v4.4s-v7.4s}, [%[mult]]\n\t"
      "ld1 {v8.4s-v11.4s}, [%[shift]]\n\t"
      "dup v12.8h, %w[zp]\n\t"
      "ld1 {v13.16b-v16.16b}, [%[w]], #64\n\t"
      "ld1 {v17.16b-v20.16b}, [%[w]], #64\n\t"
      "ldr q21, [%[w]]\n"
      "1:\n\t"
      "ld1 {v22.4s-v25.4s}, [%[bias]]\n\t"
      T9R_GROUP("v13", "v14", "v15", "v16")
      T9R_GROUP("v17", "v18", "v19", "v20")
      "ldr x9, [%[ind]], #8\n\t" "ldr q26, [x9, %[c0]]\n\t"
      "smull v30.8h, v26.8b, v21.8b\n\t" "smull2 v31.8h, v26.16b, v21.16b\n\t"
      "saddw v22.4s, v22.4s, v30.4h\n\t" "saddw2 v23.4s, v23.4s, v30.8h\n\t"
      "saddw v24.4s, v24.4s, v31.4h\n\t" "saddw2 v25.4s, v25.4s, v31.8h\n\t"
      "sqrdmulh v22.4s, v22.4s, v4.4s\n\t" "sqrdmulh v23.4s, v23.4s, v5.4s\n\t"
      "sqrdmulh v24.4s, v24.4s, v6.4s\n\t" "sqrdmulh v25.4s, v25.4s, v7.4s\n\t"
      "ssra v22.4s, v22.4s, #31\n\t" "ssra v23.4s, v23.4s, #31\n\t"
      "ssra v24.4s, v24.4s, #31\n\t" "ssra v25.4s, v25.4s, #31\n\t"
      "srshl v22.4s, v22.4s, v8.4s\n\t" "srshl v23.4s, v23.4s, v9.4s\n\t"
      "srshl v24.4s, v24.4s, v10.4s\n\t" "srshl v25.4s, v25.4s, v11.4s\n\t"
      "sqxtn v22.4h, v22.4s\n\t" "sqxtn v24.4h, v24.4s\n\t"
      "sqxtn2 v22.8h, v23.4s\n\t" "sqxtn2 v24.8h, v25.4s\n\t"
      "sqadd v22.8h, v22.8h, v12.8h\n\t" "sqadd v24.8h, v24.8h, v12.8h\n\t"
      "sqxtn v22.8b, v22.8h\n\t" "sqxtn2 v22.16b, v24.8h\n\t"
      "st1 {v22.16b}, [%[out]], %[os]\n\t"
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      : [ind] "+r"(ind), [out] "+r"(out), [n] "+r"(pixels), [w] "+r"(w)
      : [c0] "r"(c0), [bias] "r"(qs8_dw_tile_bias(tile)), [mult] "r"(qs8_dw_tile_mult(tile)),
        [shift] "r"(qs8_dw_tile_shift(tile)), [tr] "r"(kTranspose), [os] "r"(out_stride), [zp] "r"(p->out_zp)
      : "cc", "memory", "x9", "x10", "x11", "x12", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
        "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
        "v25", "v26", "v27", "v28", "v29", "v30", "v31");
#undef T9R_GROUP
  (void)groups;
}

static qs8_dw_asm_fn dot_kernel(size_t taps, int clamp) {
  static const qs8_dw_asm_fn small[2][4] = {{NULL, dw_dot_t1_nc, dw_dot_t2_nc, dw_dot_t3_nc},
                                            {NULL, dw_dot_t1, dw_dot_t2, dw_dot_t3}};
  static const qs8_dw_asm_fn loop[2][4] = {{dw_dot_loop_r0_nc, dw_dot_loop_r1_nc, dw_dot_loop_r2_nc, dw_dot_loop_r3_nc},
                                           {dw_dot_loop_r0, dw_dot_loop_r1, dw_dot_loop_r2, dw_dot_loop_r3}};
  if (taps == 9) return clamp ? dw_dot_t9 : dw_dot_t9r;
  if (taps == 25) return clamp ? dw_dot_t25 : dw_dot_t25_nc;
  return taps < 4 ? small[clamp][taps] : loop[clamp][taps % 4];
}

void qs8_dwconv_16c4_neondot(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  if (p->fp32 || channels < QS8_DW_CT) {
    qs8_dwconv_16c_neon(channels, taps, pixels, ind, packed, out, out_stride, p);
    return;
  }
  if (pixels == 0) return;
  /* right shifts only in the assembly: tiles with a channel that shifts left (or not at all) take the intrinsics */
  const qs8_dw_asm_fn fn = dot_kernel(taps, p->out_min > -128 || p->out_max < 127);
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps), full = channels / QS8_DW_CT;
  const uint8_t* tile = (const uint8_t*)packed;
  for (size_t t = 0; t < full; ++t, tile += tile_bytes) {
    if (p->right_only || qs8_dw_tile_right_only(tile))
      fn(pixels, ind, t * QS8_DW_CT, tile, qs8_dw_tile_wdot(tile, taps), taps / 4, out + t * QS8_DW_CT, out_stride,
         p);
    else
      qs8_dwconv_16c_neon_tile(taps, pixels, ind, t * QS8_DW_CT, tile, out, out_stride, p);
  }
  if (channels % QS8_DW_CT) { /* the overlap tile, after the zero-padded last one */
    const uint8_t* over = (const uint8_t*)packed + (full + 1) * tile_bytes;
    if (p->right_only || qs8_dw_tile_right_only(over))
      fn(pixels, ind, channels - QS8_DW_CT, over, qs8_dw_tile_wdot(over, taps), taps / 4,
         out + channels - QS8_DW_CT, out_stride, p);
    else
      qs8_dwconv_16c_neon_tile(taps, pixels, ind, channels - QS8_DW_CT, over, out, out_stride, p);
  }
}
