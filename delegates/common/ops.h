/* What both delegates know about each op, one file per op in common/ops/: whether a node is
 * supported (eq_check_<op>: NULL = supported, else the reason the claim report shows) and the
 * Prepare-time parameters TFLite derives from the float scales (eq_<op>_prepare), computed once
 * here so the CPU kernels (cpu/ops/) and the GPU kernels (gpu/ops/) start from the same numbers.
 * A check may be stricter in one delegate (the GPU adds device limits) but never looser. */
#ifndef EDGEQ_COMMON_OPS_H
#define EDGEQ_COMMON_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "edgeq/tflite_c_abi.h"
#include "qs8-vadd/qs8-vadd.h"
#include "qs8-vmul/qs8-vmul.h"
#include "qs8-vprelu/qs8-vprelu.h"

/* The reason a node is left to the runtime when its requantization would shift an int32 left by
 * 32 or more (a multiplier >= 2^31): TFLite's arithmetic is undefined there, nothing to match. */
#define EQ_SHIFT_TOO_LARGE \
  "requantization multiplier >= 2^31 (output scale tiny against the inputs'): LiteRT shifts by 32 or more there (undefined)"

/* Padding before the first row/column from the output size (TFLite's ComputePaddingHeightWidth). */
static inline int eq_pad_before(int stride, int dilation, int in, int filter, int out) {
  const int eff = (filter - 1) * dilation + 1;
  const int total = (out - 1) * stride + eff - in;
  return total > 0 ? total / 2 : 0;
}

/* ---- CONV_2D, DEPTHWISE_CONV_2D (NHWC; the filter is [out_c][kh][kw][in_c] or [1][kh][kw][out_c]) */
typedef struct {
  int batches, in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, dh, dw, pad_h, pad_w;
  int32_t in_zp, out_zp, act_min, act_max;
} eq_conv_geometry;
const char* eq_check_conv2d(TfLiteContext* ctx, const TfLiteNode* node);
/* A CONV_2D whose filter has one input channel per group (groups = input channels; Keras
 * Conv2D(groups=C), ConvNeXt's 7x7): the depthwise convolution with multiplier out_c / in_c, with
 * the same arithmetic (per-channel double rounding). NULL if the node is one with int8 weights. */
const char* eq_check_conv2d_depthwise_form(TfLiteContext* ctx, const TfLiteNode* node);
/* The same with grouped convolution (filter depth in_c / groups) allowed when allow_groups (int8 weights). */
const char* eq_check_conv2d_groups(TfLiteContext* ctx, const TfLiteNode* node, int allow_groups);
void eq_conv2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_conv_geometry* g);
const char* eq_check_depthwise_conv2d(TfLiteContext* ctx, const TfLiteNode* node);
void eq_depthwise_conv2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_conv_geometry* g);

/* ---- FULLY_CONNECTED: m rows of k inputs -> n outputs */
typedef struct {
  int m, n, k;
  int32_t in_zp, out_zp, act_min, act_max;
} eq_fc_params;
const char* eq_check_fully_connected(TfLiteContext* ctx, const TfLiteNode* node);
void eq_fully_connected_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_fc_params* p);

/* ---- ADD (add.cc Prepare): both inputs rescaled to 2 * max(scale) with 20 bits of headroom */
const char* eq_check_add(TfLiteContext* ctx, const TfLiteNode* node);
/* ADD's and MUL's common rules: two per-tensor int8 inputs that broadcast to the output. */
const char* eq_check_binary(TfLiteContext* ctx, const TfLiteNode* node, int activation);
void eq_add_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_add_params* p);

/* ---- MUL (mul.cc Prepare) */
const char* eq_check_mul(TfLiteContext* ctx, const TfLiteNode* node);
void eq_mul_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_mul_params* p);
/* Swish, x * sigmoid(x): LOGISTIC feeding a MUL of its own input, as one 256-entry table indexed by
 * (uint8)x, filled with both ops' own arithmetic, so a lookup equals running them in turn. */
void eq_swish_lut(TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul, int8_t table[256]);

/* ---- PRELU (prelu.cc Prepare): alpha broadcasts against the input (per channel, usually) */
const char* eq_check_prelu(TfLiteContext* ctx, const TfLiteNode* node);
void eq_prelu_prepare(TfLiteContext* ctx, const TfLiteNode* node, qs8_prelu_params* p);

/* ---- AVERAGE_POOL_2D, MAX_POOL_2D */
typedef struct {
  int batches, in_h, in_w, c, out_h, out_w, fh, fw, sh, sw, pad_h, pad_w;
  int32_t act_min, act_max;
} eq_pool2d_params;
const char* eq_check_pool2d(TfLiteContext* ctx, const TfLiteNode* node);
void eq_pool2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_pool2d_params* p);

/* ---- MEAN over constant axes (reduce.cc: 1/count folded into the multiplier) */
#define EQ_MEAN_MAX_RANK 6
typedef struct {
  int rank;
  int dims[EQ_MEAN_MAX_RANK];
  int reduced[EQ_MEAN_MAX_RANK];
  int64_t count; /* input elements per output */
  int32_t in_zp, out_zp, mult;
  int shift;
} eq_mean_params;
int eq_mean_axes(const TfLiteTensor* in, const TfLiteTensor* axis, int* reduced); /* -1: axis out of range */
const char* eq_check_mean(TfLiteContext* ctx, const TfLiteNode* node);
void eq_mean_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_mean_params* p);

/* ---- SOFTMAX (int8 in, int8 out of scale 1/256 and zero point -128; gemmlowp fixed point) */
#define EQ_SOFTMAX_DIFF_INTEGER_BITS 5
typedef struct {
  size_t outer, depth;
  int32_t input_multiplier;
  int input_left_shift;
  int diff_min;
} eq_softmax_params;
const char* eq_check_softmax(TfLiteContext* ctx, const TfLiteNode* node);
void eq_softmax_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_softmax_params* p);

/* ---- LOGISTIC, HARD_SWISH (elementwise int8 -> int8: the reference arithmetic evaluated once per
 * input value into a 256-entry table, indexed by (uint8_t)x; both delegates look it up) */
const char* eq_check_logistic(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_hard_swish(TfLiteContext* ctx, const TfLiteNode* node);
void eq_logistic_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]);
void eq_hard_swish_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]);

/* ---- GELU (LUTPopulate of the exact or tanh form), RSQRT (elementwise.cc's fixed-point inverse square
 * root per value): 256-entry tables like LOGISTIC's */
const char* eq_check_gelu(TfLiteContext* ctx, const TfLiteNode* node);
void eq_gelu_lut(const TfLiteTensor* in, const TfLiteTensor* out, int approximate, int8_t lut[256]);
const char* eq_check_rsqrt(TfLiteContext* ctx, const TfLiteNode* node);
void eq_rsqrt_lut(const TfLiteTensor* in, const TfLiteTensor* out, int8_t lut[256]);

/* ---- SQUARED_DIFFERENCE (squared_difference.cc): the result depends only on the two int8 inputs, so it
 * is a 256 x 256 table, table[(uint8_t)a * 256 + (uint8_t)b] */
const char* eq_check_squared_difference(TfLiteContext* ctx, const TfLiteNode* node);
void eq_squared_difference_table(TfLiteContext* ctx, const TfLiteNode* node, int8_t table[65536]);

/* ---- RESHAPE, CONCATENATION, PAD (data movement) */
const char* eq_check_reshape(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_concatenation(TfLiteContext* ctx, const TfLiteNode* node);
/* The output as `outer` blocks along the (normalized) axis, `inner` elements per axis step. */
void eq_concatenation_layout(TfLiteContext* ctx, const TfLiteNode* node, int* axis, size_t* outer, size_t* inner);
#define EQ_PAD_MAX_RANK 5
const char* eq_check_pad(TfLiteContext* ctx, const TfLiteNode* node);
/* Entry i of a constant int32 / int64 paddings tensor ([rank][2]: before, after). */
int64_t eq_pad_amount(const TfLiteTensor* paddings, int i);

/* ---- TRANSPOSE (bytes moved, any int8 quantization; constant permutation) */
#define EQ_TRANSPOSE_MAX_RANK 6
const char* eq_check_transpose(TfLiteContext* ctx, const TfLiteNode* node);
/* The permutation (negative axes normalized) into out[rank]; -1 if not a constant permutation. */
int eq_transpose_perm(const TfLiteTensor* perm, int rank, int* out);

/* ---- SLICE (bytes moved, any int8 quantization; constant begin and size, size -1 = to the end) */
#define EQ_SLICE_MAX_RANK 5
const char* eq_check_slice(TfLiteContext* ctx, const TfLiteNode* node);
/* RESIZE_BILINEAR, int8, NHWC, constant output size: *out_h / *out_w from the size tensor (0 when it is not
 * a constant int32 [2] of positive sizes). */
const char* eq_check_resize_bilinear(TfLiteContext* ctx, const TfLiteNode* node);
int eq_resize_bilinear_size(TfLiteContext* ctx, const TfLiteNode* node, int* out_h, int* out_w);
/* begin[] and the resolved size[] of each axis; -1 when not constant or out of range */
int eq_slice_bounds(TfLiteContext* ctx, const TfLiteNode* node, int* begin, int* size);

/* ---- BATCH_MATMUL: out[..][m][n] = sum_k (a[..][m][k] - a_zp) * (b[..][k][n] - b_zp), requantized with
 * double rounding (no activation); adj_x / adj_y: that operand is stored transposed */
#define EQ_BMM_MAX_RANK 5
typedef struct {
  int adj_x, adj_y, m, n, k, rank;
  int a_batch[EQ_BMM_MAX_RANK - 2], b_batch[EQ_BMM_MAX_RANK - 2]; /* leading dims, padded with 1 to rank */
  int32_t a_zp, b_zp, out_zp, mult;
  int shift;
} eq_bmm_params;
const char* eq_check_batch_matmul(TfLiteContext* ctx, const TfLiteNode* node);
void eq_batch_matmul_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_bmm_params* p);

/* ---- QUANTIZE (float32 or int8 -> int8), DEQUANTIZE (int8 -> float32) */
const char* eq_check_quantize(TfLiteContext* ctx, const TfLiteNode* node);
const char* eq_check_dequantize(TfLiteContext* ctx, const TfLiteNode* node);

#endif /* EDGEQ_COMMON_OPS_H */
