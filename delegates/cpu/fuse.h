/* Node fusion inside a CPU partition. LOGISTIC feeding only the MUL of its own input by its output
 * (swish, x * sigmoid(x): EfficientNet's activation) is one function of the int8 x: the pair is
 * replaced by a 256-entry table, filled by running both ops' own arithmetic on every int8 value,
 * so the result is bit-identical to running them one after the other. */
#ifndef EDGEQ_CPU_FUSE_H
#define EDGEQ_CPU_FUSE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_op.h"

/* The fused pair: the MUL node runs a table lookup of x (input 0) over n elements; the LOGISTIC
 * node runs nothing. */
extern const eq_op_kind eq_op_fused_lut, eq_op_fused_away;
/* A table state for the pair (common/ops: eq_swish_lut) over n elements; NULL if no memory. */
void* eq_fused_swish_create(TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul, size_t n);

/* PAD then MAX_POOL_2D (ResNet's stem): the pool reads PAD's input, taking PAD's fill (the zero point) for
 * taps past it (ops/pool2d.c); the PAD node runs nothing. */
extern const eq_op_kind eq_op_fused_pad_maxpool, eq_op_fused_pad_away;
void* eq_fused_pad_maxpool_create(TfLiteContext* ctx, const TfLiteNode* pad, const TfLiteNode* pool);

#endif /* EDGEQ_CPU_FUSE_H */
