/* Output shapes of the ops the CPU delegate runs, from their current input shapes and options:
 * what the runtime's Prepare would compute. A partition's kernel uses them when its inputs change
 * shape after delegation (a resized input, a dynamic batch) to rebuild its nodes for the new
 * static shapes. */
#ifndef EDGEQ_CPU_SHAPES_H
#define EDGEQ_CPU_SHAPES_H

#include "edgeq/tflite_c_abi.h"

#define EQ_SHAPE_MAX_RANK 8

/* Output 0's shape into dims[*rank]; NULL on success, else why it cannot be computed. */
const char* eq_cpu_output_shape(TfLiteContext* ctx, int builtin_code, const TfLiteNode* node, int* dims, int* rank);

#endif /* EDGEQ_CPU_SHAPES_H */
