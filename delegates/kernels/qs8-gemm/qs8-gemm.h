/* Quantized int8 GEMM micro-kernel family with TFLite requantization.
 *
 *   acc[m][n] = bias[n] + sum_k (A[m][k] - a_zero_point) * W[n][k]
 *   C[m][n]   = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[n], shift[n]) + c_zero_point,
 *                     c_min, c_max)
 *
 * Bit-exact with TFLite's reference integer kernels (BUILTIN_REF) for every ISA variant, in
 * either of the two rounding variants those kernels use (qs8_gemm_plan_create_rounding); the
 * opt-in QS8_REQUANT_FP32 variant trades that for speed (within +-1, see qs8_rounding).
 * Weights are packed once into a plan (at delegate prepare time); int4 weights stay packed
 * (two per byte) inside the plan and are unpacked in registers by the kernels.
 */
#ifndef EDGEQ_QS8_GEMM_H
#define EDGEQ_QS8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "base/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t n;                  /* output channels */
  int32_t k;                  /* reduction length */
  const void* weights;        /* int8 [n][k] row-major; or, when weight_bits == 4, TFLite INT4
                                 packing of the same [n][k] array: element i (flat index n*k+k)
                                 in byte i/2, low nibble for even i, two's complement */
  int weight_bits;            /* 8 or 4 */
  const int32_t* bias;        /* [n], or NULL for no bias */
  int32_t a_zero_point;       /* activation zero point (TFLite input_offset = -a_zero_point) */
  const int32_t* multiplier;  /* [n] Q31 multipliers as TFLite's QuantizeMultiplier gives them */
  const int32_t* shift;       /* [n] TFLite convention: > 0 shifts left, < 0 right */
  int32_t c_zero_point;
  int32_t c_min, c_max;       /* clamp bounds, fused activation included */
  int32_t m_hint;             /* rows per call when the caller knows them (FC batch), 0 if not:
                                 with 1, i8mm CPUs take the SDOT kernel (fewer instructions for
                                 one row than SMMLA's row pairs) */
} qs8_gemm_desc;

typedef struct qs8_gemm_plan qs8_gemm_plan;

/* Pack weights for one ISA (EDGEQ_ISA_AUTO: qs8_gemm_best_isa()). Returns NULL when the ISA has no
 * variant here, this CPU cannot run it, or the description is invalid. The plan owns copies of
 * everything it needs. */
qs8_gemm_plan* qs8_gemm_plan_create(const qs8_gemm_desc* desc, edgeq_isa isa);

/* Which MultiplyByQuantizedMultiplier the plan reproduces. LiteRT 2.3 / TF 2.21 BUILTIN_REF
 * kernels differ per op (measured by tests/delegates/test_gemm_kernels.py):
 *   DOUBLE: gemmlowp SaturatingRoundingDoublingHighMul then RoundingDivideByPOT (left shift
 *           first) -- CONV_2D (and what qs8_gemm_plan_create gives);
 *   SINGLE: TFLITE_SINGLE_ROUNDING, (x * m + 2^(30 - shift)) >> (31 - shift) in 64 bits --
 *           FULLY_CONNECTED.
 * QS8_REQUANT_FP32 is not bit-exact (the delegate's opt-in mode=fast): XNNPACK-style
 *   y = round_half_even(clamp((float)acc * scale, c_min - c_zp, c_max - c_zp)) + c_zp with
 *   scale[n] = multiplier[n] * 2^(shift[n] - 31) as float, computed once at plan creation. It
 *   is identical across ISA variants (IEEE single multiply, no FMA) and within +-1 of either
 *   integer rounding (ties go to even instead of away from zero; float error < 2^-22 relative). */
typedef enum {
  QS8_ROUNDING_DOUBLE = 0,
  QS8_ROUNDING_SINGLE = 1,
  QS8_REQUANT_FP32 = 2,
} qs8_rounding;
qs8_gemm_plan* qs8_gemm_plan_create_rounding(const qs8_gemm_desc* desc, edgeq_isa isa,
                                             qs8_rounding rounding);
qs8_rounding qs8_gemm_plan_rounding(const qs8_gemm_plan* plan);
void qs8_gemm_plan_destroy(qs8_gemm_plan* plan);
edgeq_isa qs8_gemm_plan_isa(const qs8_gemm_plan* plan);
/* Bytes of packed weights the plan keeps resident (int4 plans: about half of int8). */
size_t qs8_gemm_plan_weight_bytes(const qs8_gemm_plan* plan);
/* Output-channel granularity: thread splits of [n_begin, n_end) must be multiples of this
 * (except n_end == n). */
size_t qs8_gemm_plan_nr(const qs8_gemm_plan* plan);

/* Rows [0, m) of A (row stride lda bytes) times output channels [n_begin, n_end) → C
 * (row stride ldc bytes; column n written at c[row*ldc + n]). Thread-safe on a shared plan. */
void qs8_gemm_run(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda,
                  int8_t* c, size_t ldc, size_t n_begin, size_t n_end);

/* One-row calls given the row's sum (FC at batch 1: summed once per op for all its tasks): nonzero where
 * the plan takes it (int4 plans of one-row calls on AVX-512 VNNI / AMX whose k needs no padding); then
 * qs8_gemm_run_gemv(plan, a, qs8_row_sum(a, k), c, n_begin, n_end) computes what qs8_gemm_run does for
 * m = 1, reading A in place (qs8_gemm_run copies the row and sums it in every call). */
int qs8_gemm_plan_takes_row_sum(const qs8_gemm_plan* plan);
int32_t qs8_row_sum(const int8_t* a, size_t k);
void qs8_gemm_run_gemv(const qs8_gemm_plan* plan, const int8_t* a, int32_t a_sum, int8_t* c, size_t n_begin,
                       size_t n_end);

/* Bytes of each A row that qs8_gemm_run_padded reads: k rounded up to the step of a kernel that
 * reads rows in place (4 or 8 on AArch64), k for the others. */
size_t qs8_gemm_plan_row_bytes(const qs8_gemm_plan* plan);

/* qs8_gemm_run for callers that build A themselves (im2col) with qs8_gemm_plan_row_bytes bytes per
 * row: bytes k.. of a row meet zero weights, so any values there give the same C, and the rows are
 * read in place where qs8_gemm_run would copy them to a padded buffer first. */
void qs8_gemm_run_padded(const qs8_gemm_plan* plan, size_t m, const int8_t* a, size_t lda,
                         int8_t* c, size_t ldc, size_t n_begin, size_t n_end);

/* Rows already in the kernel's own A format, for callers that write A themselves (conv im2col):
 * the row stride in bytes (>= k; bytes k.. of a row meet zero weights, any value) when the plan's
 * kernel reads int8 rows with every byte XORed with *flip (0x80: the AVX-512 VNNI kernels' unsigned
 * A) and takes many rows per call; 0 where rows must be packed per call (qs8_gemm_run does it). */
size_t qs8_gemm_plan_packed_row_bytes(const qs8_gemm_plan* plan, uint8_t* flip);
/* qs8_gemm_run over m such rows (row r at a + r * qs8_gemm_plan_packed_row_bytes), no copy. */
void qs8_gemm_run_packed(const qs8_gemm_plan* plan, size_t m, const int8_t* a, int8_t* c, size_t ldc,
                         size_t n_begin, size_t n_end);

/* The best variant this CPU runs within the EDGEQ_ISA cap: avx512vnni, avx2, i8mm, neondot, neon,
 * else scalar. */
edgeq_isa qs8_gemm_best_isa(void);

#ifdef __cplusplus
}
#endif
#endif /* EDGEQ_QS8_GEMM_H */
