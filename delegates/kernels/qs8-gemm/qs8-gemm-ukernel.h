/* Internal micro-kernel interface shared by the dispatcher (qs8_gemm.c) and the ISA variants.
 *
 * Weight packing (done once by the dispatcher, identical for every variant up to parameters):
 *   n is cut into tiles of NR output channels; each tile stores kc (k rounded up to KPAD) values
 *   per channel as consecutive blocks of KR reduction steps:
 *     stream[(kk / KR) * NR * KR + j * KR + kk % KR] = W[n0 + j][kk]   (0 for padding)
 *   int8 plans store this stream as is. int4 plans fold every group of G stream bytes into G/2
 *   bytes: byte i holds stream element i in its low nibble and element i + G/2 in its high one,
 *   so a kernel unpacks a group with a mask and a shift into two whole vectors.
 * Activation packing (per MR-row block, per run call): rows copied to a zero-padded buffer of
 *   kc elements in the variant's format (int8, int16, uint8 = a ^ 0x80, or row pairs
 *   interleaved by 8 for SMMLA).
 * Kernels compute MR rows (MR baked into each entry of the fn table) times all NR channels of
 * one tile and write NR int8 outputs per row at c + row * ldc.
 */
#ifndef EDGEQ_QS8_UKERNEL_H
#define EDGEQ_QS8_UKERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "qs8-gemm/qs8-gemm.h" /* qs8_rounding */

#define QS8_MAX_MR 8
#define QS8_MAX_NR 16

/* Per-tile requantization parameters: arrays already offset to the tile's first channel and
 * padded to NR entries. */
typedef struct {
  const int32_t* bias;    /* bias - (a_zero_point + a_offset) * sum_k W, folded at pack time */
  const int32_t* mult;    /* Q31 multiplier */
  const int32_t* shift;   /* TFLite convention, [-31, 30] */
  int32_t rounding;       /* qs8_rounding: SINGLE, DOUBLE, or REQUANT_FP32 */
  int32_t c_zp, c_min, c_max;
  const float* scale;     /* QS8_REQUANT_FP32 only: per-channel acc -> output scale */
  /* DOUBLE, split at plan creation (eq_neon_mbqm_double_pre): max(shift, 0), min(shift, 0),
   * all ones where min(shift, 0) == 0 */
  const int32_t* lshift;
  const int32_t* rshift;
  const int32_t* zmask;
  int32_t right_only;     /* every shift < 0: lshift and zmask are all 0 */
  /* channels 0 .. nc - 1 of the tile are stored, 0: all NR. Only the AVX-512 VNNI int8 rows entries
   * (int8_rows_fn, int8_rows2_fn: the second tile's) read it; the dispatcher sets it for them alone. */
  int32_t nc;
  const int32_t* a_sums;  /* int4_offset8 plans: each packed row's sum over kc, rows of the call */
} qs8_tile_params;

typedef void (*qs8_ukernel_fn)(size_t kc, const void* a, const void* w, const qs8_tile_params* p,
                               int8_t* c, size_t ldc);

/* Optional multi-block entry: m rows (any count, in blocks of MR) of one tile, so per-tile setup
 * (requantization constants) is done once per call instead of once per MR rows. */
typedef void (*qs8_rows_fn)(size_t m, size_t kc, const void* a, const void* w, const qs8_tile_params* p,
                            int8_t* c, size_t ldc);

/* Optional two-tile entry: m rows of tiles t and t + 1 (weights w and w + w_stride, parameters p0
 * and p1, outputs c .. c + 2 * NR - 1 of each row). */
typedef void (*qs8_rows2_fn)(size_t m, size_t kc, const void* a, const void* w, size_t w_stride,
                             const qs8_tile_params* p0, const qs8_tile_params* p1, int8_t* c, size_t ldc);

/* Kernel that reads activations in place: rows a + r * lda, kc bytes each, times `tiles`
 * consecutive tiles (weights w + t * w_stride, parameters and outputs offset by t * NR), kc a multiple of
 * min(KR, 8) (kernels with KR > 8 finish with an 8-step half block). The dispatcher passes the
 * caller's rows when k is such a multiple, else rows copied to a zero-padded buffer of stride
 * round_up(k, KPAD). */
typedef void (*qs8_direct_fn)(size_t kc, size_t tiles, const int8_t* a, size_t lda, const void* w,
                              size_t w_stride, const qs8_tile_params* p, int8_t* c, size_t ldc);

typedef enum {
  QS8_A_INT8 = 0,       /* row-major int8 */
  QS8_A_INT16,          /* row-major int16 (sign-extended) */
  QS8_A_UINT8,          /* row-major uint8 = a + 128 (for u8 x s8 dot instructions) */
  QS8_A_INT8_PAIRS_C8,  /* rows 2i,2i+1 interleaved in blocks of 8: [r0 k0..7][r1 k0..7]... */
} qs8_a_format;

typedef struct {
  uint8_t mr, nr, kr;    /* tile rows, tile channels, reduction block */
  uint16_t kpad;         /* kc = round_up(k, kpad); multiple of kr */
  uint16_t int4_group;   /* G (stream bytes per int4 fold group); divides nr * kpad */
  uint8_t a_format;      /* qs8_a_format */
  int32_t a_offset;      /* added to activations by the A packing (128 for QS8_A_UINT8) */
  const qs8_ukernel_fn* int8_fn;  /* [mr_valid - 1], mr entries */
  const qs8_ukernel_fn* int4_fn;
  qs8_rows_fn int8_rows_fn;       /* NULL: the dispatcher calls int8_fn per MR rows */
  const qs8_direct_fn* direct_fn; /* [mr]; set: the plan's weights (this info's width) use it */
  const qs8_direct_fn* direct_half_fn; /* [mr], optional: channels 0 .. NR/2 - 1 of one tile (a
                                          last tile of at most NR/2 channels) */
  qs8_rows2_fn int8_rows2_fn;     /* optional: two whole tiles per call (int8 weights) */
  uint8_t int4_offset8;           /* int4 nibbles stored as w + 8 (unsigned 0..15) */
} qs8_ukernel_info;

/* Kernel tables, one per variant file: entry r computes r + 1 rows. */
extern const qs8_ukernel_fn qs8_gemm_1x4_scalar[1];
extern const qs8_ukernel_fn qs8_qc4w_gemm_1x4_scalar[1];
extern const qs8_ukernel_fn qs8_gemm_4x16c2_avx2[4];
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x16c2_avx2[4];
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni[4];
/* int4 group 128, sums of 16 * w: k <= QS8_QC4W_X16_MAX_K (255 * 128 * k < 2^31) */
#define QS8_QC4W_X16_MAX_K 65792
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni_x16[4];
/* the x16 layout with nibbles w + 8, signed activations, p->a_sums set (one-row plans) */
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x16c4_avx512vnni_x16o8[4];
extern const qs8_ukernel_fn qs8_gemm_8x16c4_avx512vnni[8];
void qs8_gemm_8x16c4_avx512vnni_rows(size_t m, size_t kc, const void* a, const void* w,
                                     const qs8_tile_params* p, int8_t* c, size_t ldc);
void qs8_gemm_8x32c4_avx512vnni_rows(size_t m, size_t kc, const void* a, const void* w, size_t w_stride,
                                     const qs8_tile_params* p0, const qs8_tile_params* p1, int8_t* c, size_t ldc);
/* The same two entries over the caller's int8 rows in place (row r at a + r * lda, kc bytes read of
 * each: kc <= lda, bytes k.. meet zero weights), flipped to unsigned in the kernel: no packed copy. */
void qs8_gemm_8x16c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        const qs8_tile_params* p, int8_t* c, size_t ldc);
void qs8_gemm_8x32c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        size_t w_stride, const qs8_tile_params* p0, const qs8_tile_params* p1,
                                        int8_t* c, size_t ldc);
/* three tiles (the last maybe partial): a plan's last three of an odd tile count, rows read in place */
void qs8_gemm_8x48c4_avx512vnni_rows_s8(size_t m, size_t kc, const int8_t* a, size_t lda, const void* w,
                                        size_t w_stride, const qs8_tile_params* p0, const qs8_tile_params* p1,
                                        const qs8_tile_params* p2, int8_t* c, size_t ldc);
/* AMX: m rows x channels [n_begin, n_end),
 * A read in place (k bytes per row), weights in the NR=16, KR=4 layout with kc a multiple of 64,
 * p for channel 0 with the bias of signed activations (no offset). */
void qs8_gemm_32x32c4_avx512amx(size_t m, size_t k, const int8_t* a, size_t lda, const void* w,
                                size_t tile_bytes, const qs8_tile_params* p, int8_t* c, size_t ldc,
                                size_t n_begin, size_t n_end);
extern const qs8_ukernel_fn qs8_gemm_4x8_neon[4];
extern const qs8_direct_fn qs8_gemm_4x16c4_neondot[4];
extern const qs8_direct_fn qs8_gemm_4x16c4_neondot_half[4];
extern const qs8_direct_fn qs8_gemm_2x8c16_neon[2];
extern const qs8_direct_fn qs8_qc4w_gemm_4x16c4_neondot[4];
extern const qs8_direct_fn qs8_qc4w_gemm_2x8c16_neon[2];
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x8c4_neondot[4];
extern const qs8_direct_fn qs8_gemm_4x16c8_neoni8mm[4];
extern const qs8_direct_fn qs8_gemm_4x16c8_neoni8mm_half[4];
extern const qs8_ukernel_fn qs8_qc4w_gemm_4x8c8_neoni8mm[4];
/* Cortex-M, used by the MCU runtime (edgeq compile): Armv7E-M DSP, Helium */
extern const qs8_ukernel_fn qs8_gemm_2x2c4_armsimd32[2];
extern const qs8_ukernel_fn qs8_gemm_2x4c16_mve[2];

#endif
