/* Partitioning steps every edgeq delegate takes in its Prepare: copy the runtime's execution
 * plan, collect the claimed nodes, and hand them to the runtime as delegate kernels. */
#ifndef EDGEQ_PARTITION_H
#define EDGEQ_PARTITION_H

#include "edgeq/tflite_c_abi.h"

/* A malloc'ed copy of a (NULL means empty); NULL if out of memory. */
TfLiteIntArray* eq_int_array_copy(const TfLiteIntArray* a);
/* A malloc'ed empty array with room for capacity ints; NULL if out of memory. */
TfLiteIntArray* eq_int_array_new(int capacity);

typedef struct {
  const char* name; /* custom_name of the delegate kernel node */
  void* (*init)(TfLiteContext* ctx, const char* buffer, size_t length);
  void (*free)(TfLiteContext* ctx, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* ctx, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* ctx, TfLiteNode* node);
} eq_kernel_fns;

/* Replace the claimed nodes (if any) with delegate kernels, one per connected subset. */
TfLiteStatus eq_replace_claimed(TfLiteContext* ctx, TfLiteDelegate* delegate, TfLiteIntArray* claimed,
                                const eq_kernel_fns* fns);

#endif /* EDGEQ_PARTITION_H */
