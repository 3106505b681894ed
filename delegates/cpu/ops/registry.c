/* The ops the CPU delegate can run, in the order the `ops` option lists them. */
#include "cpu_op.h"

extern const eq_op_kind eq_op_conv2d, eq_op_depthwise_conv2d, eq_op_fully_connected, eq_op_add, eq_op_mul,
    eq_op_average_pool2d, eq_op_max_pool2d, eq_op_mean, eq_op_softmax, eq_op_logistic, eq_op_hard_swish,
    eq_op_reshape, eq_op_concatenation, eq_op_pad, eq_op_quantize, eq_op_dequantize, eq_op_prelu, eq_op_sub,
    eq_op_transpose, eq_op_batch_matmul, eq_op_gelu, eq_op_rsqrt, eq_op_squared_difference, eq_op_slice,
    eq_op_resize_bilinear;

static const eq_op_info* const kOps[] = {
    &eq_op_conv2d.info,        &eq_op_depthwise_conv2d.info, &eq_op_fully_connected.info, &eq_op_add.info,
    &eq_op_mul.info,           &eq_op_average_pool2d.info,   &eq_op_max_pool2d.info,      &eq_op_mean.info,
    &eq_op_softmax.info,       &eq_op_logistic.info,         &eq_op_hard_swish.info,      &eq_op_reshape.info,
    &eq_op_concatenation.info, &eq_op_pad.info,              &eq_op_quantize.info,        &eq_op_dequantize.info,       &eq_op_prelu.info, &eq_op_sub.info,
    &eq_op_transpose.info,     &eq_op_batch_matmul.info,     &eq_op_gelu.info,            &eq_op_rsqrt.info,
    &eq_op_squared_difference.info, &eq_op_slice.info, &eq_op_resize_bilinear.info,
};

EQ_DEFINE_REGISTRY(eq_cpu_ops, kOps);
