/* Elementwise fusion inside a GPU partition: which nodes' kernels merge into another's. */
#ifndef EDGEQ_GPU_FUSE_H
#define EDGEQ_GPU_FUSE_H

#include "edgeq/tflite_c_abi.h"

typedef enum { EQG_FUSE_NONE = 0, EQG_FUSE_SWISH, EQG_FUSE_GATE } eqg_fuse_kind;

/* For the partition's nodes (params->nodes_to_replace): when only MUL node j reads LOGISTIC node
 * i's output (not a partition output), sets logistic_of[j] = i (else -1) and kind[j]: SWISH when
 * the MUL's other input is the LOGISTIC's input over one shape (j becomes one table lookup),
 * else GATE (j looks the sigmoid up while multiplying). Node i then runs nothing. */
void eqg_find_fusions(TfLiteContext* ctx, const TfLiteDelegateParams* params, int* logistic_of, eqg_fuse_kind* kind);

#endif
