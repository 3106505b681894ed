/* Operator interface of the edgeq CPU delegate: one eq_op_kind per TFLite builtin (cpu/ops/).
 *
 * check()   decides at partition time whether a node (op, types, params) is supported: the
 *           shared check of common/ops.h;
 * create()  runs once per claimed node when the delegate kernel is built: it computes
 *           TFLite's Prepare-time parameters (multipliers, shifts, tables) from the float
 *           scales and packs constant weights; shapes are static from then on;
 * eval()    runs the node; `in`/`out` hold the current data pointers of the node's
 *           inputs/outputs (NULL for an omitted optional input).
 */
#ifndef EDGEQ_CPU_OP_H
#define EDGEQ_CPU_OP_H

#include <stddef.h>
#include <stdint.h>

#include "edgeq/tflite_c_abi.h"
#include "ops.h"
#include "registry.h"
#include "tensor.h"
#include "threadpool.h"
#include "weights.h"

typedef struct eq_op_kind {
  eq_op_info info; /* name, builtin code, support check; first, so the registry can hold &kind.info */
  void* (*create)(TfLiteContext* ctx, const TfLiteNode* node, int num_threads); /* NULL = failure */
  TfLiteStatus (*eval)(void* state, const void* const* in, void* const* out, eq_pool* pool);
  void (*destroy)(void* state);
  /* mode=fast (opt-in): like create() but with fp32 requantization, within +-1 of the exact
   * kernels; NULL = the op has no fast variant and create() is used in either mode. */
  void* (*create_fast)(TfLiteContext* ctx, const TfLiteNode* node, int num_threads);
} eq_op_kind;

/* A constant int8 tensor of one element (data mapped from the model): *v gets its value. Binary ops
 * against one become a 256-entry table over the other input. */
static inline int eq_const_scalar_s8(const TfLiteTensor* t, int8_t* v) {
  if (!t || t->type != kTfLiteInt8 || t->allocation_type != kTfLiteMmapRo || !t->data.raw || eq_numel(t) != 1) return 0;
  *v = t->data.int8[0];
  return 1;
}

/* The registry (ops/registry.c). */
extern const eq_op_registry eq_cpu_ops;
/* The kind of a registry entry. */
static inline const eq_op_kind* eq_op_kind_of(const eq_op_info* info) { return (const eq_op_kind*)info; }

#endif /* EDGEQ_CPU_OP_H */
