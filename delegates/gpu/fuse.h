/* Elementwise fusion inside a GPU partition: which nodes' kernels merge into another's. */
#ifndef EDGEQ_GPU_FUSE_H
#define EDGEQ_GPU_FUSE_H

#include <stdint.h>

#include "edgeq/tflite_c_abi.h"

typedef enum { EQG_FUSE_NONE = 0, EQG_FUSE_SWISH, EQG_FUSE_GATE } eqg_fuse_kind;

/* For the partition's nodes (`nodes`, in execution order; `outputs`: the tensors read outside them):
 * when only MUL node j reads LOGISTIC node i's output (not an output), sets logistic_of[j] = i (else
 * -1) and kind[j]: SWISH when the MUL's other input is the LOGISTIC's input over one shape (j becomes
 * one table lookup), else GATE (j looks the sigmoid up while multiplying). Node i then runs nothing. */
void eqg_find_fusions(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs,
                      int* logistic_of, eqg_fuse_kind* kind);

/* Elementwise chains. A unary int8 op (LOGISTIC, HARD_SWISH, GELU, RSQRT; ADD, SUB or MUL with a
 * one-element constant; a swish pair) is a 256-entry table of its input byte. A binary int8 op (ADD,
 * SUB, MUL) over two same-shape tensors is a 65536-entry table of both bytes. When the op's input
 * (the first or second, for a binary op) is made by a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED
 * node H (or by a chain already fused into H), only this op reads it and it is no output, H's kernels
 * apply the op as they store (its epilogue: the tables composed; at most one binary op, whose other
 * input must be made before H runs). A unary op whose input comes from elsewhere runs as one table
 * lookup (lut_s8) and takes the unary ops after it into its table the same way, and one binary op,
 * broadcasting too (its other input, e.g. a LayerNorm's gamma, made before), as one table2_s8. Per node: */
/* A row program (LayerNorm): from a MEAN over the last axis of x [rows, C], the nodes whose inputs are x,
 * their own outputs and constants (per-channel [C] vectors, one-element ones) and whose outputs are per
 * element [rows, C] or per row [rows, 1], with one output read outside them (per element): MEAN, the unary
 * ops (256-entry tables, composed along chains) and ADD / SUB / MUL / SQUARED_DIFFERENCE (65536-entry tables
 * of both input bytes) run as one rownorm_qs8 launch, one work group per row (qs8.cl). Step i:
 * step[i][0] op (0 MEAN, 1 table of a, 2 table of a, b), [1] dst slot, [2] a, [3] b, [4] table offset in
 * `tables`, MEAN: [5] in_zp, [6] mult, [7] shift, [8] out_zp. A slot is kind << 12 | index: EQG_ROW_X (the
 * input row), EQG_ROW_Y (the output row), EQG_ROW_E (C bytes of local memory), EQG_ROW_R (one byte),
 * EQG_ROW_K (C bytes of `kconst`). */
#define EQG_ROW_MAX_STEPS 32
#define EQG_ROW_STEP_INTS 10
#define EQG_ROW_LOCAL_BYTES 12288 /* the per-element slots' local memory (EQ_ROW_LOCAL in qs8.cl) */
enum { EQG_ROW_X = 0, EQG_ROW_Y = 1, EQG_ROW_E = 2, EQG_ROW_R = 3, EQG_ROW_K = 4 };
typedef struct eqg_rowprog {
  int n_steps, n_e, n_r, c, rows, n_ops;
  int step[EQG_ROW_MAX_STEPS][EQG_ROW_STEP_INTS];
  int8_t* tables;
  size_t tables_bytes;
  int8_t* kconst;
  size_t kconst_bytes;
} eqg_rowprog;

typedef struct {
  int into;         /* -1: the node runs kernels; else the node whose kernel does this one's work */
  int host;         /* 1: runs and applies fused ops (epi != 0, or a lut_s8 of a chain) */
  int lut;          /* 1: runs as one lut_s8 launch of table (256) over in_tensor */
  int epi;          /* conv / FC epilogue: 0 none, 1 unary table (256), 2 binary table (65536) with other */
  int in_tensor;    /* lut: the tensor looked up */
  int out_tensor;   /* the tensor the node's kernels store (the chain's last) */
  int other_tensor; /* epi 2: the binary op's other input, read at the stored element's index (a lut
                       host: at the broadcast index, through table2_s8) */
  int bin_x, bin_out; /* epi 2 of a lut host: the binary op's chain-side input and its output (shapes) */
  int8_t* table;    /* lut / epi 1: 256 bytes; epi 2: 65536 bytes, index (stored byte << 8) | other byte;
                       se: 65536 bytes, index (x byte << 8) | gate byte */
  /* Squeeze-excite gate: a broadcasting MUL of x [B,H,W,C] by g [B,1,1,C] (or by LOGISTIC(g), a GATE pair)
   * where g is made by a 1x1 CONV_2D over a [B,1,1,K] vector (int8 weights) that only this MUL reads: the
   * MUL's one launch computes that conv's output channel for each element it stores (K multiply-adds),
   * looks it up through the conv's epilogue ops (and the sigmoid) in se_gtable, then the MUL in table;
   * the conv runs nothing. */
  int se_conv;      /* the conv's index, -1: none */
  int se_x;         /* x: the full-size input */
  int8_t* se_gtable; /* 256: the conv's stored byte -> the gate byte the MUL reads */
  /* BATCH_MATMUL: input s is made by a TRANSPOSE (of the partition, only this node reads it): read from the
   * TRANSPOSE's input bmm_src[s] through its permutation bmm_perm[s]; the TRANSPOSE runs nothing. -1: as is. */
  int bmm_src[2];
  int bmm_perm[2][6];
  int perm_read;    /* a TRANSPOSE a BATCH_MATMUL reads through (into it) */
  /* BATCH_MATMUL without an epilogue whose output only a TRANSPOSE reads: stores into that TRANSPOSE's output
   * (bmm_dst) through its permutation (bmm_dst_perm); the TRANSPOSE runs nothing (perm_write). -1: as is. */
  int bmm_dst;
  int bmm_dst_perm[6];
  int perm_write;
  eqg_rowprog* row;  /* a row program's MEAN: runs it over in_tensor into out_tensor (the others: into it) */
} eqg_fused_node;

/* Fills f[0..nodes->size) (freed with eqg_fuse_plan_free); -1 when out of memory (no fusion). */
int eqg_fuse_plan(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs,
                  const int* logistic_of, const eqg_fuse_kind* kind, eqg_fused_node* f);
void eqg_fuse_plan_free(eqg_fused_node* f, int n);

/* Kernel launches per invoke of the nodes (one per node that runs: fused nodes and a gate's LOGISTIC
 * run none), for the offload model; the nodes' own count when out of memory. */
int eqg_fused_launches(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs);

#endif
