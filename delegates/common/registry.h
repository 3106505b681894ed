/* A delegate's op registry: the ops it can run, in the order the `ops` option lists them and
 * op_enabled[] indexes them. Every delegate's op kind starts with an eq_op_info, so partitioning
 * and option parsing work on any registry. */
#ifndef EDGEQ_COMMON_REGISTRY_H
#define EDGEQ_COMMON_REGISTRY_H

#include <stddef.h>

#include "edgeq/tflite_c_abi.h"

typedef struct {
  const char* name; /* TFLite builtin name, as users write it in the `ops` option */
  int builtin_code;
  const char* (*check)(TfLiteContext* ctx, const TfLiteNode* node); /* NULL = supported, else why not */
} eq_op_info;

typedef struct {
  const eq_op_info* const* ops; /* each points at the `info` member (the first) of an op kind */
  size_t count;
} eq_op_registry;

/* Size of op_enabled[] (common/options.h). */
#define EQ_MAX_OPS 32
/* Defines `name` over the static array `ops`, which must fit EQ_MAX_OPS. */
#define EQ_DEFINE_REGISTRY(name, ops)                                                               \
  _Static_assert(sizeof(ops) / sizeof((ops)[0]) <= EQ_MAX_OPS, "more ops than EQ_MAX_OPS (op_enabled[])"); \
  const eq_op_registry name = {ops, sizeof(ops) / sizeof((ops)[0])}

/* The op for a builtin code (and its index in *slot when slot is not NULL); NULL if none. */
static inline const eq_op_info* eq_registry_find(const eq_op_registry* r, int builtin_code, size_t* slot) {
  for (size_t i = 0; i < r->count; ++i)
    if (r->ops[i]->builtin_code == builtin_code) {
      if (slot) *slot = i;
      return r->ops[i];
    }
  return NULL;
}

#endif /* EDGEQ_COMMON_REGISTRY_H */
