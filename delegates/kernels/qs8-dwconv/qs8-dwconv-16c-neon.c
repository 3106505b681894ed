/* aarch64 NEON depthwise kernel: 16 channels per step into four int32x4 accumulators. Taps go
 * in pairs on int8 weights (smull + smlal into int16, then saddw into int32: |x * w| <= 128 * 127,
 * so two products fit int16 unless a weight is -128, for which the plan keeps the widening
 * int16 path, smlal int16 x int16 -> int32). Double-rounding requant shared with the GEMM
 * kernels. The usual case (tap pairs, every shift negative, at least 16 channels) runs in
 * assembly for every tile: 3x3 with the tile's weights in registers (qs8-dwconv-9p16c-neon-asm.h),
 * other sizes with four taps per 64-byte weight load (23 instructions per four taps; 5x5 unrolled),
 * a channel tail as the plan's overlap tile over the last 16 channels (as the SDOT kernel). The
 * intrinsics below take the rest; 3x3 gets its own fully unrolled copy. */
/* Variant of qs8-dwconv-16c-avx2.c: one file per ISA and weight type, as in XNNPACK. */
#include <arm_neon.h>
#include <string.h>

#include "base/copy.h"
#include "base/requant-neon.h"
#include "qs8-dwconv/qs8-dwconv-16c-asm.h"
#include "qs8-dwconv/qs8-dwconv-9p16c-neon-asm.h"
#include "qs8-dwconv/qs8-dwconv-ukernel.h"

/* channel tails (and layers of fewer than 16 channels, e.g. BlazeFace's 8) never read past the pixel:
 * 8 channels by one 8-byte load, others by inline copies (a libc call per tap and pixel cost more
 * than the convolution there) */
static inline int8x16_t load16(const int8_t* p, size_t n) {
  if (n == QS8_DW_CT) return vld1q_s8(p);
  if (n == 8) return vcombine_s8(vld1_s8(p), vdup_n_s8(0));
  int8_t tmp[QS8_DW_CT] = {0};
  eq_copy_bytes(tmp, p, n);
  return vld1q_s8(tmp);
}

/* A tile's double-rounding constants, built once per tile and shared by the row's pixels:
 * eq_neon_mbqm_double_pre, or eq_neon_mbqm_double_right when every shift of the plan is
 * negative (then the shift itself is the srshl amount). */
typedef struct {
  int32x4_t m[4], ls[4], rs[4], zm[4];
} dw_consts;

static inline void tile_consts(const uint8_t* tile, const qs8_dw_out_params* p, dw_consts* k) {
  const int32_t* mult = qs8_dw_tile_mult(tile);
  if (p->right_only) {
    const int32_t* shift = qs8_dw_tile_shift(tile);
    for (size_t j = 0; j < 4; ++j) {
      k->m[j] = vld1q_s32(mult + 4 * j);
      k->rs[j] = vld1q_s32(shift + 4 * j);
      k->ls[j] = k->zm[j] = vdupq_n_s32(0); /* unused on this path */
    }
    return;
  }
  const int32_t* ls = qs8_dw_tile_i32(tile, QS8_DW_LSHIFT);
  const int32_t* rs = qs8_dw_tile_i32(tile, QS8_DW_RSHIFT); /* max(-shift, 0) */
  for (size_t j = 0; j < 4; ++j) {
    const int32x4_t r = vld1q_s32(rs + 4 * j);
    k->m[j] = vld1q_s32(mult + 4 * j);
    k->ls[j] = vld1q_s32(ls + 4 * j);
    k->rs[j] = vnegq_s32(r);
    k->zm[j] = vreinterpretq_s32_u32(vceqzq_s32(r));
  }
}

static inline int32x4_t requant4(int32x4_t acc, const dw_consts* k, size_t j, const float* fscale,
                                 const qs8_dw_out_params* p) {
  if (p->fp32) /* mode=fast: clamped around the zero point, which the caller adds */
    return eq_neon_requant_fp32(acc, fscale, vdupq_n_f32((float)(p->out_min - p->out_zp)),
                                 vdupq_n_f32((float)(p->out_max - p->out_zp)), vdupq_n_s32(0));
  if (p->right_only) return eq_neon_mbqm_double_right(acc, k->m[j], k->rs[j]);
  return eq_neon_mbqm_double_pre(acc, k->m[j], k->ls[j], k->rs[j], k->zm[j]);
}

static inline void tile16(size_t taps, const int8_t* const* ind, size_t c0, size_t n, const uint8_t* tile,
                          const dw_consts* k, const qs8_dw_out_params* p, int8_t* out) {
  const int32_t* bias = qs8_dw_tile_bias(tile);
  int32x4_t a0 = vld1q_s32(bias), a1 = vld1q_s32(bias + 4), a2 = vld1q_s32(bias + 8), a3 = vld1q_s32(bias + 12);
  const int16_t* w = qs8_dw_tile_w(tile);
  size_t t = 0;
  if (p->w8_pairs) {
    const int8_t* w8 = qs8_dw_tile_w8(tile, taps);
    for (; t + 2 <= taps; t += 2) {
      const int8x16_t x0 = load16(ind[t] + c0, n), x1 = load16(ind[t + 1] + c0, n);
      const int8x16_t w0 = vld1q_s8(w8 + t * QS8_DW_CT), w1 = vld1q_s8(w8 + (t + 1) * QS8_DW_CT);
      const int16x8_t pl = vmlal_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), vget_low_s8(x1), vget_low_s8(w1));
      const int16x8_t ph = vmlal_high_s8(vmull_high_s8(x0, w0), x1, w1);
      a0 = vaddw_s16(a0, vget_low_s16(pl));
      a1 = vaddw_high_s16(a1, pl);
      a2 = vaddw_s16(a2, vget_low_s16(ph));
      a3 = vaddw_high_s16(a3, ph);
    }
  }
  for (; t < taps; ++t) {
    const int8x16_t x = load16(ind[t] + c0, n);
    const int16x8_t xl = vmovl_s8(vget_low_s8(x)), xh = vmovl_high_s8(x);
    const int16x8_t wl = vld1q_s16(w + t * QS8_DW_CT), wh = vld1q_s16(w + t * QS8_DW_CT + 8);
    a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl));
    a1 = vmlal_high_s16(a1, xl, wl);
    a2 = vmlal_s16(a2, vget_low_s16(xh), vget_low_s16(wh));
    a3 = vmlal_high_s16(a3, xh, wh);
  }
  const float* fs = qs8_dw_tile_fscale(tile);
  /* zero point added in int32 (wrapping like TFLite), saturating narrows, clamp on int8: the
   * clamp bounds lie inside the saturation ranges, so this equals clamping the int32 sum */
  const int32x4_t zp = vdupq_n_s32(p->out_zp);
  a0 = vaddq_s32(requant4(a0, k, 0, fs, p), zp);
  a1 = vaddq_s32(requant4(a1, k, 1, fs + 4, p), zp);
  a2 = vaddq_s32(requant4(a2, k, 2, fs + 8, p), zp);
  a3 = vaddq_s32(requant4(a3, k, 3, fs + 12, p), zp);
  const int16x8_t l = vqmovn_high_s32(vqmovn_s32(a0), a1), h = vqmovn_high_s32(vqmovn_s32(a2), a3);
  int8x16_t b = vqmovn_high_s16(vqmovn_s16(l), h);
  b = vminq_s8(vmaxq_s8(b, vdupq_n_s8((int8_t)p->out_min)), vdupq_n_s8((int8_t)p->out_max));
  if (n == QS8_DW_CT) {
    vst1q_s8(out + c0, b);
  } else if (n == 8) {
    vst1_s8(out + c0, vget_low_s8(b));
  } else {
    int8_t tmp[QS8_DW_CT];
    vst1q_s8(tmp, b);
    eq_copy_bytes(out + c0, tmp, n);
  }
}

/* tile16 for a tile of at most 8 channels (layers of 8 channels, BlazeFace's; tails of 1-8): the low
 * half of its lanes only, half the products, requantizations and narrows */
static inline int8x8_t load8(const int8_t* p, size_t n) {
  if (n == 8) return vld1_s8(p);
  int8_t tmp[QS8_DW_CT] = {0}; /* n < 8; sized for every path of eq_copy_bytes */
  eq_copy_bytes(tmp, p, n);
  return vld1_s8(tmp);
}

static inline void tile8(size_t taps, const int8_t* const* ind, size_t c0, size_t n, const uint8_t* tile,
                         const dw_consts* k, const qs8_dw_out_params* p, int8_t* out) {
  const int32_t* bias = qs8_dw_tile_bias(tile);
  int32x4_t a0 = vld1q_s32(bias), a1 = vld1q_s32(bias + 4);
  const int16_t* w = qs8_dw_tile_w(tile);
  size_t t = 0;
  if (p->w8_pairs) {
    const int8_t* w8 = qs8_dw_tile_w8(tile, taps);
    for (; t + 2 <= taps; t += 2) {
      const int8x8_t x0 = load8(ind[t] + c0, n), x1 = load8(ind[t + 1] + c0, n);
      const int16x8_t pl = vmlal_s8(vmull_s8(x0, vld1_s8(w8 + t * QS8_DW_CT)), x1, vld1_s8(w8 + (t + 1) * QS8_DW_CT));
      a0 = vaddw_s16(a0, vget_low_s16(pl));
      a1 = vaddw_high_s16(a1, pl);
    }
  }
  for (; t < taps; ++t) {
    const int16x8_t xl = vmovl_s8(load8(ind[t] + c0, n)), wl = vld1q_s16(w + t * QS8_DW_CT);
    a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl));
    a1 = vmlal_high_s16(a1, xl, wl);
  }
  const float* fs = qs8_dw_tile_fscale(tile);
  const int32x4_t zp = vdupq_n_s32(p->out_zp);
  a0 = vaddq_s32(requant4(a0, k, 0, fs, p), zp);
  a1 = vaddq_s32(requant4(a1, k, 1, fs + 4, p), zp);
  int8x8_t b = vqmovn_s16(vqmovn_high_s32(vqmovn_s32(a0), a1));
  b = vmin_s8(vmax_s8(b, vdup_n_s8((int8_t)p->out_min)), vdup_n_s8((int8_t)p->out_max));
  if (n == 8) {
    vst1_s8(out + c0, b);
  } else {
    int8_t tmp[QS8_DW_CT];
    vst1_s8(tmp, b);
    eq_copy_bytes(out + c0, tmp, n);
  }
}

/* tile8's 3x3 case (taps in pairs) with the tile's 9 weight rows and bias loaded once for all pixels: in the
 * per-pixel function the compiler reloads them, since the int8 output stores may alias them */
static void pixels8_t9(size_t pixels, const int8_t* const* ind, size_t c0, size_t n, const uint8_t* tile,
                       const dw_consts* k, const qs8_dw_out_params* p, int8_t* out, size_t out_stride) {
  const int32_t* bias = qs8_dw_tile_bias(tile);
  const int32x4_t b0 = vld1q_s32(bias), b1 = vld1q_s32(bias + 4);
  const int8_t* w8 = qs8_dw_tile_w8(tile, 9);
  const int8x8_t w0 = vld1_s8(w8), w1 = vld1_s8(w8 + 16), w2 = vld1_s8(w8 + 32), w3 = vld1_s8(w8 + 48);
  const int8x8_t w4 = vld1_s8(w8 + 64), w5 = vld1_s8(w8 + 80), w6 = vld1_s8(w8 + 96), w7 = vld1_s8(w8 + 112);
  const int16x8_t wl8 = vld1q_s16(qs8_dw_tile_w(tile) + 8 * QS8_DW_CT);
  const float* fs = qs8_dw_tile_fscale(tile);
  const int32x4_t zp = vdupq_n_s32(p->out_zp);
  const int8x8_t lo = vdup_n_s8((int8_t)p->out_min), hi = vdup_n_s8((int8_t)p->out_max);
  for (size_t px = 0; px < pixels; ++px, out += out_stride) {
    const int8_t* const* ip = ind + px * 9;
    int32x4_t a0 = b0, a1 = b1;
#define EQ_DW8_PAIR(X, Y, WX, WY)                                                                            \
  do {                                                                                                      \
    const int16x8_t pl = vmlal_s8(vmull_s8(load8(ip[X] + c0, n), WX), load8(ip[Y] + c0, n), WY);            \
    a0 = vaddw_s16(a0, vget_low_s16(pl));                                                                   \
    a1 = vaddw_high_s16(a1, pl);                                                                            \
  } while (0)
    EQ_DW8_PAIR(0, 1, w0, w1);
    EQ_DW8_PAIR(2, 3, w2, w3);
    EQ_DW8_PAIR(4, 5, w4, w5);
    EQ_DW8_PAIR(6, 7, w6, w7);
#undef EQ_DW8_PAIR
    const int16x8_t xl = vmovl_s8(load8(ip[8] + c0, n));
    a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl8));
    a1 = vmlal_high_s16(a1, xl, wl8);
    a0 = vaddq_s32(requant4(a0, k, 0, fs, p), zp);
    a1 = vaddq_s32(requant4(a1, k, 1, fs + 4, p), zp);
    int8x8_t b = vqmovn_s16(vqmovn_high_s32(vqmovn_s32(a0), a1));
    b = vmin_s8(vmax_s8(b, lo), hi);
    if (n == 8) {
      vst1_s8(out + c0, b);
    } else {
      int8_t tmp[QS8_DW_CT];
      vst1_s8(tmp, b);
      eq_copy_bytes(out + c0, tmp, n);
    }
  }
}

static inline void pixels_loop(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  const size_t tile_bytes = QS8_DW_TILE_BYTES(taps);
  /* tiles outside, pixels inside: a tile's weights and requant constants stay in registers
   * (or at least in L1) while the row's pixels stream past */
  const uint8_t* tile = (const uint8_t*)packed;
  for (size_t c0 = 0; c0 < channels; c0 += QS8_DW_CT, tile += tile_bytes) {
    const size_t n = channels - c0 < QS8_DW_CT ? channels - c0 : QS8_DW_CT;
    dw_consts k;
    tile_consts(tile, p, &k);
    if (n <= 8 && taps == 9 && p->w8_pairs)
      pixels8_t9(pixels, ind, c0, n, tile, &k, p, out, out_stride);
    else if (n <= 8)
      for (size_t px = 0; px < pixels; ++px) tile8(taps, ind + px * taps, c0, n, tile, &k, p, out + px * out_stride);
    else
      for (size_t px = 0; px < pixels; ++px) tile16(taps, ind + px * taps, c0, n, tile, &k, p, out + px * out_stride);
  }
}

/* tap steps of the assembly kernels: int8 weights of consecutive taps are consecutive 16-byte
 * rows (the tile's w8), read from x13 */
#define NP_PRODUCTS(X0, X1, W0, W1, P0, P1)                                                           \
  "smull " P0 ".8h, " X0 ".8b, " W0 ".8b\n\t" "smull2 " P1 ".8h, " X0 ".16b, " W0 ".16b\n\t"          \
  "smlal " P0 ".8h, " X1 ".8b, " W1 ".8b\n\t" "smlal2 " P1 ".8h, " X1 ".16b, " W1 ".16b\n\t"          \
  "saddw v20.4s, v20.4s, " P0 ".4h\n\t" "saddw2 v21.4s, v21.4s, " P0 ".8h\n\t"                       \
  "saddw v22.4s, v22.4s, " P1 ".4h\n\t" "saddw2 v23.4s, v23.4s, " P1 ".8h\n\t"
#define NP_PAIR                                                                                       \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldr q24, [x9, %[c0]]\n\t" "ldr q25, [x10, %[c0]]\n\t"             \
  "ld1 {v16.16b-v17.16b}, [x13], #32\n\t"                                                             \
  NP_PRODUCTS("v24", "v25", "v16", "v17", "v28", "v29")
#define NP_QUAD                                                                                       \
  "ldp x9, x10, [%[ind]], #16\n\t" "ldp x11, x12, [%[ind]], #16\n\t"                                  \
  "ldr q24, [x9, %[c0]]\n\t" "ldr q25, [x10, %[c0]]\n\t"                                              \
  "ldr q26, [x11, %[c0]]\n\t" "ldr q27, [x12, %[c0]]\n\t"                                             \
  "ld1 {v16.16b-v19.16b}, [x13], #64\n\t"                                                             \
  NP_PRODUCTS("v24", "v25", "v16", "v17", "v28", "v29")                                               \
  NP_PRODUCTS("v26", "v27", "v18", "v19", "v30", "v31")
#define NP_QUAD_LOOP                                                                                  \
  "mov x14, %[groups]\n"                                                                              \
  "2:\n\t" NP_QUAD "subs x14, x14, #1\n\t" "b.ne 2b\n\t"

QS8_DW_ASM_KERNEL(np_t1, NULL, "", "", QS8_DW_ASM_TAP1)
QS8_DW_ASM_KERNEL(np_t2, NULL, "", "", NP_PAIR)
QS8_DW_ASM_KERNEL(np_t3, NULL, "", "", NP_PAIR QS8_DW_ASM_TAP1)
QS8_DW_ASM_KERNEL(np_t25, NULL, "", NP_QUAD NP_QUAD NP_QUAD NP_QUAD NP_QUAD NP_QUAD, QS8_DW_ASM_TAP1)
QS8_DW_ASM_KERNEL(np_loop_r0, NULL, "", NP_QUAD_LOOP, "")
QS8_DW_ASM_KERNEL(np_loop_r1, NULL, "", NP_QUAD_LOOP, QS8_DW_ASM_TAP1)
QS8_DW_ASM_KERNEL(np_loop_r2, NULL, "", NP_QUAD_LOOP, NP_PAIR)
QS8_DW_ASM_KERNEL(np_loop_r3, NULL, "", NP_QUAD_LOOP, NP_PAIR QS8_DW_ASM_TAP1)

static void np_t9(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile, const int8_t* w,
                  size_t groups, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  (void)groups;
  qs8_dwconv_9p16c_neon_asm(pixels, ind, c0, qs8_dw_tile_bias(tile), qs8_dw_tile_mult(tile), qs8_dw_tile_shift(tile),
                            w, out, out_stride, p->out_zp, p->out_min, p->out_max);
}

static void np_t9_nc(size_t pixels, const int8_t* const* ind, size_t c0, const uint8_t* tile, const int8_t* w,
                     size_t groups, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  (void)groups;
  qs8_dwconv_9p16c_neon_asm_nc(pixels, ind, c0, qs8_dw_tile_bias(tile), qs8_dw_tile_mult(tile),
                               qs8_dw_tile_shift(tile), w, out, out_stride, p->out_zp, p->out_min, p->out_max);
}

/* clamp: out_min > -128 or out_max < 127 (otherwise the saturating narrow is the clamp) */
static qs8_dw_asm_fn asm_kernel(size_t taps, int clamp) {
  static const qs8_dw_asm_fn small[2][4] = {{NULL, np_t1_nc, np_t2_nc, np_t3_nc}, {NULL, np_t1, np_t2, np_t3}};
  static const qs8_dw_asm_fn loop[2][4] = {{np_loop_r0_nc, np_loop_r1_nc, np_loop_r2_nc, np_loop_r3_nc},
                                           {np_loop_r0, np_loop_r1, np_loop_r2, np_loop_r3}};
  if (taps == 9) return clamp ? np_t9 : np_t9_nc;
  if (taps == 25) return clamp ? np_t25 : np_t25_nc;
  return taps < 4 ? small[clamp][taps] : loop[clamp][taps % 4];
}

int qs8_dw_tile_right_only(const void* tile) {
  const int32_t* rs = qs8_dw_tile_i32(tile, QS8_DW_RSHIFT); /* max(-shift, 0) of the tile's 16 channels */
  const int32x4_t m = vminq_s32(vminq_s32(vld1q_s32(rs), vld1q_s32(rs + 4)), vminq_s32(vld1q_s32(rs + 8), vld1q_s32(rs + 12)));
  return vminvq_s32(m) > 0;
}

void qs8_dwconv_16c_neon_tile(size_t taps, size_t pixels, const int8_t* const* ind, size_t c0, const void* tile,
                              int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  dw_consts k;
  tile_consts(tile, p, &k);
  for (size_t px = 0; px < pixels; ++px) tile16(taps, ind + px * taps, c0, QS8_DW_CT, tile, &k, p, out + px * out_stride);
}

void qs8_dwconv_16c_neon(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p) {
  if (p->w8_pairs && !p->fp32 && channels >= QS8_DW_CT) {
    /* the assembly kernels requantize with right shifts only: a plan with some left (or zero) shifts still runs
     * them on the tiles whose 16 channels all shift right, the other tiles on the intrinsics */
    if (pixels == 0) return;
    const qs8_dw_asm_fn fn = asm_kernel(taps, p->out_min > -128 || p->out_max < 127);
    const size_t tile_bytes = QS8_DW_TILE_BYTES(taps), full = channels / QS8_DW_CT;
    const uint8_t* tile = (const uint8_t*)packed;
    for (size_t t = 0; t < full; ++t, tile += tile_bytes) {
      if (p->right_only || qs8_dw_tile_right_only(tile))
        fn(pixels, ind, t * QS8_DW_CT, tile, qs8_dw_tile_w8(tile, taps), taps / 4, out + t * QS8_DW_CT, out_stride, p);
      else
        qs8_dwconv_16c_neon_tile(taps, pixels, ind, t * QS8_DW_CT, tile, out, out_stride, p);
    }
    if (channels % QS8_DW_CT) { /* the overlap tile, after the zero-padded last one */
      const uint8_t* over = (const uint8_t*)packed + (full + 1) * tile_bytes;
      if (p->right_only || qs8_dw_tile_right_only(over))
        fn(pixels, ind, channels - QS8_DW_CT, over, qs8_dw_tile_w8(over, taps), taps / 4, out + channels - QS8_DW_CT,
           out_stride, p);
      else
        qs8_dwconv_16c_neon_tile(taps, pixels, ind, channels - QS8_DW_CT, over, out, out_stride, p);
    }
    return;
  }
  if (taps == 9) /* 3x3: constant trip count, unrolled */
    pixels_loop(channels, 9, pixels, ind, packed, out, out_stride, p);
  else
    pixels_loop(channels, taps, pixels, ind, packed, out, out_stride, p);
}
