/* Internal interface between the depthwise dispatcher (qs8_dwconv.c) and its ISA variants.
 *
 * Packed weights: for each tile of QS8_DW_CT channels (the last one zero-padded)
 *   int32 bias[CT]   bias - in_zp * sum_t W[t][c]
 *   int32 mult[CT], int32 shift[CT]
 *   int32 mult_odd[CT]  mult with odd lanes moved down (even lane 2i = mult[2i+1]), for
 *                       the odd-lane 64-bit products of a SIMD requant
 *   int32 lshift[CT], rshift[CT], rmask[CT], rhalf[CT]   max(shift,0), max(-shift,0),
 *                       2^rshift - 1, rmask >> 1: RoundingDivideByPOT's constants
 *   float fscale[CT]    multiplier * 2^(shift - 31): the FP32 (mode=fast) requant scale
 *   int16 w[taps][CT]
 *   int8 w8[taps][CT]   the same weights as int8 (NEON pairs taps: smull + smlal in int16),
 *                       padded to 32 bytes
 *   int8 wdot[ceil(taps/4)][CT][4]  the SDOT layout: taps in groups of four per channel, 64 bytes
 *                       a group; the last, partial group zero-filled, except that a single last
 *                       tap is stored as its CT weights in channel order
 * so a tile is QS8_DW_TILE_BYTES(taps) bytes and 32-byte aligned when the buffer is.
 * Where channels % CT != 0 and channels > CT, one more tile follows the zero-padded last one:
 * channels [channels - CT, channels), a full tile (the overlap tile of the SDOT kernel).
 */
#ifndef EDGEQ_QS8_DWCONV_KERNELS_H
#define EDGEQ_QS8_DWCONV_KERNELS_H

#include "qs8-dwconv/qs8-dwconv.h"

#define QS8_DW_TILE_I32 9 /* 32-bit arrays per tile before the weights (keeps 32-byte alignment) */
#define QS8_DW_W8_BYTES(taps) (((size_t)(taps) * QS8_DW_CT + 31) / 32 * 32)
#define QS8_DW_WDOT_BYTES(taps) (((size_t)(taps) + 3) / 4 * 4 * QS8_DW_CT)
#define QS8_DW_TILE_BYTES(taps) \
  ((size_t)QS8_DW_CT * (QS8_DW_TILE_I32 * sizeof(int32_t) + (size_t)(taps) * sizeof(int16_t)) + \
   QS8_DW_W8_BYTES(taps) + QS8_DW_WDOT_BYTES(taps))

typedef struct {
  int32_t out_zp, out_min, out_max;
  int32_t any_left_shift; /* some channel has shift > 0 */
  int32_t fp32;           /* QS8_DW_REQUANT_FP32: requantize with the tile's fscale */
  int32_t w8_pairs;       /* no weight is -128, so two int8 x int8 products fit in int16 */
  int32_t right_only;     /* every shift < 0 (double rounding without the left-shift steps) */
} qs8_dw_out_params;

/* One variant: all `channels` of `pixels` output pixels. */
typedef void (*qs8_dw_ukernel_fn)(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                                  const void* packed, int8_t* out, size_t out_stride,
                                  const qs8_dw_out_params* p);

void qs8_dwconv_16c_scalar(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
void qs8_dwconv_16c_avx2(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
void qs8_dwconv_16c_avx512(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
void qs8_dwconv_16c_avx512vnni(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                               const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
/* aarch64: whether all 16 channels of a packed tile shift right (the assembly kernels' requantization), and one
 * full tile (channels c0 .. c0 + 15) of pixels on the intrinsics with any shifts. */
int qs8_dw_tile_right_only(const void* tile);
void qs8_dwconv_16c_neon_tile(size_t taps, size_t pixels, const int8_t* const* ind, size_t c0, const void* tile,
                              int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
void qs8_dwconv_16c_neon(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);
void qs8_dwconv_16c4_neondot(size_t channels, size_t taps, size_t pixels, const int8_t* const* ind,
                             const void* packed, int8_t* out, size_t out_stride, const qs8_dw_out_params* p);

static inline const int32_t* qs8_dw_tile_bias(const void* tile) { return (const int32_t*)tile; }
static inline const int32_t* qs8_dw_tile_mult(const void* tile) { return (const int32_t*)tile + QS8_DW_CT; }
static inline const int32_t* qs8_dw_tile_shift(const void* tile) { return (const int32_t*)tile + 2 * QS8_DW_CT; }
static inline const int32_t* qs8_dw_tile_i32(const void* tile, int which) {
  return (const int32_t*)tile + which * QS8_DW_CT;
}
enum { QS8_DW_MULT_ODD = 3, QS8_DW_LSHIFT, QS8_DW_RSHIFT, QS8_DW_RMASK, QS8_DW_RHALF, QS8_DW_FSCALE };
static inline const float* qs8_dw_tile_fscale(const void* tile) {
  return (const float*)((const int32_t*)tile + QS8_DW_FSCALE * QS8_DW_CT);
}
static inline const int16_t* qs8_dw_tile_w(const void* tile) {
  return (const int16_t*)((const int32_t*)tile + QS8_DW_TILE_I32 * QS8_DW_CT);
}
static inline const int8_t* qs8_dw_tile_w8(const void* tile, size_t taps) {
  return (const int8_t*)(qs8_dw_tile_w(tile) + taps * QS8_DW_CT);
}
static inline const int8_t* qs8_dw_tile_wdot(const void* tile, size_t taps) {
  return qs8_dw_tile_w8(tile, taps) + QS8_DW_W8_BYTES(taps);
}

#endif
