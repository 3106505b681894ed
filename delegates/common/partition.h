/* Partitioning, the same for every edgeq delegate: in its Prepare the runtime's execution plan
 * is read, each node's op is looked up and its support check run, the node is claimed or
 * rejected (with the reason) in the claim report, the report is printed and written, and the
 * claimed nodes are handed to the runtime as delegate kernels. */
#ifndef EDGEQ_COMMON_PARTITION_H
#define EDGEQ_COMMON_PARTITION_H

#include <stdint.h>

#include "claims.h"
#include "edgeq/tflite_c_abi.h"
#include "registry.h"

/* The delegate kernel the claimed nodes become (one per connected subset). */
typedef struct {
  const char* name; /* custom_name of the delegate kernel node */
  void* (*init)(TfLiteContext* ctx, const char* buffer, size_t length);
  void (*free)(TfLiteContext* ctx, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* ctx, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* ctx, TfLiteNode* node);
} eq_kernel_fns;

typedef struct {
  const char* who;            /* message prefix */
  const eq_op_registry* ops;
  const uint8_t* op_enabled;  /* by registry index (the ops option) */
  int verbose;                /* print the claim report on stderr */
  /* When set, every node its check accepts is rejected with this reason (no device). */
  const char* unavailable;
  /* Optional, after the per-node checks and decline: NULL keeps the claimed nodes, a reason rejects them all. */
  const char* (*vet)(void* arg, TfLiteContext* ctx, const TfLiteIntArray* claimed);
  /* Optional: writes the delegate's report (after vet and the verbose lines). */
  void (*report)(void* arg, TfLiteContext* ctx);
  void* arg;                  /* passed to vet and report */
  eq_kernel_fns kernel;
  /* Optional, after the per-node checks, before vet: sets why[i] (a static reason) for each claimed->data[i]
   * to leave to the runtime after all (e.g. a partition whose transfers cost more than it saves). */
  void (*decline)(void* arg, TfLiteContext* ctx, const TfLiteIntArray* claimed, const char** why);
} eq_partition_spec;

/* Runs the steps above; claims is cleared and refilled (the caller keeps it for its reports). */
TfLiteStatus eq_partition(TfLiteContext* ctx, TfLiteDelegate* delegate, const eq_partition_spec* spec,
                          eq_claims* claims);

/* A malloc'ed copy of a (NULL means empty); NULL if out of memory. */
TfLiteIntArray* eq_int_array_copy(const TfLiteIntArray* a);

/* The shapes of a partition's non-constant inputs when its kernel was built: shapes are static
 * from then on, so a resize after delegation must fail with a clear message, not compute garbage. */
typedef struct {
  const char* who; /* message prefix */
  int n;
  int* tensors;
  TfLiteIntArray** dims;
} eq_shape_guard;
int eq_shape_guard_init(eq_shape_guard* g, const char* who, TfLiteContext* ctx,
                        const TfLiteIntArray* inputs); /* -1: no memory */
void eq_shape_guard_free(eq_shape_guard* g);
/* 1 if an input's shape differs from the one recorded. */
int eq_shape_guard_changed(const eq_shape_guard* g, TfLiteContext* ctx);
/* The delegate kernels' prepare (eq_kernel_fns.prepare): their state starts with an eq_shape_guard. */
TfLiteStatus eq_shape_guard_prepare(TfLiteContext* ctx, TfLiteNode* node);

#endif /* EDGEQ_COMMON_PARTITION_H */
