/* The ops the delegate can run, in the order the `ops` option lists them. */
#include <strings.h>

#include "cpu_op.h"

extern const eq_op_kind eq_op_conv2d, eq_op_depthwise_conv2d, eq_op_fully_connected, eq_op_add, eq_op_mul,
    eq_op_average_pool2d, eq_op_max_pool2d, eq_op_mean, eq_op_softmax, eq_op_logistic, eq_op_hard_swish,
    eq_op_reshape, eq_op_concatenation, eq_op_pad, eq_op_quantize, eq_op_dequantize;

static const eq_op_kind* const kOps[] = {
    &eq_op_conv2d,        &eq_op_depthwise_conv2d, &eq_op_fully_connected, &eq_op_add,
    &eq_op_mul,           &eq_op_average_pool2d,   &eq_op_max_pool2d,      &eq_op_mean,
    &eq_op_softmax,       &eq_op_logistic,         &eq_op_hard_swish,      &eq_op_reshape,
    &eq_op_concatenation, &eq_op_pad,              &eq_op_quantize,        &eq_op_dequantize,
};

size_t eq_op_count(void) { return sizeof(kOps) / sizeof(kOps[0]); }
const eq_op_kind* eq_op_at(size_t i) { return i < eq_op_count() ? kOps[i] : NULL; }

const eq_op_kind* eq_find_op(int code) {
  for (size_t i = 0; i < eq_op_count(); ++i)
    if (kOps[i]->builtin_code == code) return kOps[i];
  return NULL;
}

const eq_op_kind* eq_find_op_by_name(const char* name) {
  for (size_t i = 0; i < eq_op_count(); ++i)
    if (strcasecmp(kOps[i]->name, name) == 0) return kOps[i];
  return NULL;
}
