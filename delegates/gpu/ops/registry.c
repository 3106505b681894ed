/* The ops the GPU delegate can run, in the order the `ops` option lists them. */
#include "gpu_op.h"

extern const eqg_op_kind eqg_op_conv2d, eqg_op_depthwise_conv2d, eqg_op_fully_connected, eqg_op_add, eqg_op_mul,
    eqg_op_average_pool2d, eqg_op_max_pool2d, eqg_op_mean, eqg_op_softmax, eqg_op_logistic, eqg_op_hard_swish,
    eqg_op_reshape, eqg_op_concatenation, eqg_op_pad, eqg_op_transpose, eqg_op_gelu, eqg_op_rsqrt, eqg_op_sub,
    eqg_op_squared_difference, eqg_op_batch_matmul;

static const eq_op_info* const kOps[] = {
    &eqg_op_conv2d.info,      &eqg_op_depthwise_conv2d.info, &eqg_op_fully_connected.info, &eqg_op_add.info,
    &eqg_op_mul.info,         &eqg_op_average_pool2d.info,   &eqg_op_max_pool2d.info,      &eqg_op_mean.info,
    &eqg_op_softmax.info,     &eqg_op_logistic.info,         &eqg_op_hard_swish.info,      &eqg_op_reshape.info,
    &eqg_op_concatenation.info, &eqg_op_pad.info,             &eqg_op_transpose.info,       &eqg_op_gelu.info,
    &eqg_op_rsqrt.info,       &eqg_op_sub.info,              &eqg_op_squared_difference.info,
    &eqg_op_batch_matmul.info,
};

EQ_DEFINE_REGISTRY(eqg_ops, kOps);
