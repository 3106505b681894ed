/* Operator interface of the edgeq GPU delegate: one eqg_op_kind per TFLite builtin (gpu/ops/).
 *
 * check()  decides at partition time whether a node is supported: the shared check of
 *          common/ops.h (plus GPU limits where it has any), so both delegates claim alike;
 * create() runs once per claimed node when the partition is built: it computes TFLite's
 *          Prepare-time parameters on the host (multipliers, shifts, activation ranges),
 *          uploads constant weights (int4 stays packed), and prepares the kernel launches
 *          with all arguments bound: a partition's device buffers never move, so invoke
 *          only enqueues.
 * `in`/`out` give each node input/output's device buffer (NULL for a parameter input).
 */
#ifndef EDGEQ_GPU_OP_H
#define EDGEQ_GPU_OP_H

#include "device.h"
#include "edgeq/tflite_c_abi.h"
#include "ops.h"
#include "registry.h"
#include "tensor.h"
#include "weights.h"

#define EQG_MAX_LAUNCH 16
#define EQG_MAX_MEM 8

typedef struct {
  cl_kernel kernel;
  const char* name;
  cl_uint dims;
  size_t gws[2];
  size_t lws[2]; /* 0: the driver picks */
  double ops; /* integer ops per launch (2 per multiply-accumulate), for throughput reports */
  int epi_arg; /* index of the kernel's epilogue table argument (then other, mode), -1: none */
} eqg_launch;

typedef struct {
  int n_launch;
  eqg_launch launch[EQG_MAX_LAUNCH];
  int n_mem;
  cl_mem mem[EQG_MAX_MEM]; /* constants the node owns (weights, per-channel parameters) */
  cl_ulong last_ns;        /* device time of the last run (profile=1) */
  cl_ulong total_ns;       /* summed over the profiled runs */
} eqg_node_plan;

typedef struct eqg_op_kind {
  eq_op_info info;       /* name, builtin code, support check; first, so the registry can hold &kind.info */
  unsigned param_inputs; /* bit i: input i is a parameter (weights, bias, axis, shape), not a device tensor */
  int (*create)(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* in, cl_mem const* out,
                eqg_node_plan* plan, char* err, size_t errlen);
} eqg_op_kind;

/* The registry (ops/registry.c). */
extern const eq_op_registry eqg_ops;
/* The kind of a registry entry. */
static inline const eqg_op_kind* eqg_op_kind_of(const eq_op_info* info) { return (const eqg_op_kind*)info; }

/* ---- helpers for create() (launch.c) ---- */
typedef struct {
  size_t size;
  const void* ptr;
} eqg_arg;
#define EQG_ARG(x) ((eqg_arg){sizeof(x), &(x)})
#define EQG_NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Appends a launch of kernel `name` over gws[0..dims) with the given arguments. */
int eqg_add_launch(eqg_device* dev, eqg_node_plan* plan, const char* name, cl_uint dims, size_t g0, size_t g1,
                   const eqg_arg* args, int nargs, double ops, char* err, size_t errlen);
/* The elementwise ops fused after a conv / FC node (fuse.h) applied by every kernel of the node that
 * stores its output: mode 1, a 256-entry table of the stored byte; mode 2, a 65536-entry table of it
 * and the byte of `other` at the same index. Kernels with an epilogue take (table, other, mode) after
 * their own arguments; eqg_add_launch binds (NULL, NULL, 0). The table is uploaded into the plan. */
int eqg_plan_set_epilogue(eqg_device* dev, eqg_node_plan* plan, int mode, const int8_t* table, cl_mem other,
                          char* err, size_t errlen);
/* One table2_s8 launch: out = table[a byte << 8 | b byte] with a, b broadcast to out (shapes of ta, tb, tout). */
int eqg_add_table2(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* ta, const TfLiteTensor* tb,
                   const TfLiteTensor* tout, cl_mem a, cl_mem b, cl_mem out, const int8_t* table, char* err,
                   size_t errlen);
/* One lut_s8 launch: out[i] = table[in[i]] over n bytes (the table uploaded into the plan). */
int eqg_add_lut(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem out, size_t n, const int8_t table[256],
                char* err, size_t errlen);
/* Fixes the work-group size of the plan's last launch (kernels with reqd_work_group_size). */
void eqg_set_local_size(eqg_node_plan* plan, size_t l0, size_t l1);
/* For the (channel, pixel) grids of conv / depthwise: work groups of 128 lanes, up to 32
 * channels of neighbouring pixels, the grid rounded up (kernels skip the padding); left to
 * the driver when the kernel cannot take 128 lanes. */
void eqg_channel_pixel_groups(eqg_device* dev, eqg_node_plan* plan, size_t channels);
/* The tiled int8 GEMM (gemm_tiled_qs8): FULLY_CONNECTED (g NULL: dense rows, single rounding)
 * or CONV_2D as an implicit GEMM over g (double rounding; `groups` >= 1). Weights as stored,
 * [n][k]. */
int eqg_add_gemm_tiled(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem w, cl_mem bias, cl_mem mult,
                       cl_mem shift, cl_mem out, int m, int n, int k, int in_zp, int out_zp, int act_min, int act_max,
                       const eq_conv_geometry* g, int groups, char* err, size_t errlen);
/* fully_connected_wg_qs8: a work group of 64 lanes per output of m rows x n over depth k, weights [n][k] as
 * stored; double_round 0: FULLY_CONNECTED's single rounding, 1: a 1x1 CONV_2D's double rounding. */
int eqg_add_fc_rows(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem w, cl_mem bias, cl_mem mult,
                    cl_mem shift, cl_mem out, int m, int n, int k, int in_zp, int out_zp, int act_min, int act_max,
                    int int4, int double_round, char* err, size_t errlen);
/* Whether a 1x1 stride-1 CONV_2D (int8 weights, groups 1) of m pixels x n channels over depth k runs as
 * fully_connected_wg_qs8 (a work group per output) rather than the direct kernel (a lane per output): when the
 * direct kernel has few lanes for a long depth, each lane's multiply-adds in series (on the H200 ~260 ns per 8 of
 * the depth: EfficientNet's 7x7x1152 -> 192 projections, 9408 lanes, ~38 us; its squeeze-excite 1x1 convs over
 * [1,1,1,1152], 48 lanes, ~50 us), while fully_connected_wg_qs8 took 6 us for 1000 outputs over 1280 there:
 * k >= 128 and m x n <= 2048 (squeeze convs), or k >= 1024 and m x n <= 16384. */
int eqg_conv_rows_worth_it(int m, int n, int k);
/* Whether a CONV_2D of m pixels x n channels over depth k goes to the tiled kernel rather than the
 * direct one: at least 96 work groups (output tiles of 64 x 64 times depth slices), about one per
 * compute unit of a large GPU. Below that the tiled kernel has too few work groups (H200: up to 3.2x
 * slower than direct on 7x7-pixel layers without depth slices); above it, it wins (ResNet50's 112x112
 * 7x7 conv 155 -> 41 us). Fixed, so the choice is the same on every device. */
int eqg_tiled_worth_it(int m, int n, int k);
/* Depth slices of a tiled GEMM with `tiles` output tiles: doubled while the work groups stay within
 * EQG_GEMM_TARGET_GROUPS (about two per compute unit of a large GPU) and each slice keeps
 * EQG_GEMM_MIN_SLICE of the depth; EDGEQ_GPU_KSPLIT=N forces N (1: never split). Fixed, so the
 * choice is the same on every device. */
#define EQG_GEMM_TARGET_GROUPS 256
#define EQG_GEMM_MIN_SLICE 64
#define EQG_GEMM_MAX_SPLIT 32
int eqg_gemm_ksplit(long tiles, int k);
/* A device buffer the plan owns that kernels write (split-depth partial sums). */
cl_mem eqg_scratch(eqg_device* dev, eqg_node_plan* plan, size_t bytes, char* err, size_t errlen);
/* Uploads a constant to a new read-only device buffer the plan owns. */
cl_mem eqg_upload(eqg_device* dev, eqg_node_plan* plan, const void* data, size_t bytes, char* err, size_t errlen);
/* The broadcast walk of a binary op (common/broadcast.h) as a buffer of 15 ints: the output's 5
 * dims, then a's strides, then b's; *total = output elements. NULL when the shapes do not broadcast. */
cl_mem eqg_upload_bcast(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* a, const TfLiteTensor* b,
                        const TfLiteTensor* out, size_t* total, char* err, size_t errlen);
/* Per-channel bias (zeros when absent), multiplier and shift buffers of a conv / FC. */
int eqg_upload_channel_params(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* in, const TfLiteTensor* w,
                              const TfLiteTensor* b, const TfLiteTensor* out, int channels, cl_mem* bias, cl_mem* mult,
                              cl_mem* shift, char* err, size_t errlen);
/* x * LOGISTIC(x) (swish: a LOGISTIC whose output only the MUL reads, the MUL's other input
 * being the LOGISTIC's input, no broadcast) as one table lookup: both ops' reference arithmetic
 * composed over the 256 input bytes, so it is bit-exact and the sigmoid never reaches memory. */
int eqg_swish_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul,
                     cl_mem x, cl_mem y, eqg_node_plan* plan, char* err, size_t errlen);
/* MUL(a, LOGISTIC(g)) with the LOGISTIC's output read by nothing else (squeeze-excite gating):
 * one broadcasting MUL launch that looks the sigmoid of g's bytes up in the LOGISTIC's table. */
int eqg_mul_gate_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul,
                        cl_mem other, cl_mem gate_in, cl_mem y, eqg_node_plan* plan, char* err, size_t errlen);
/* A squeeze-excite gate (fuse.h se_*): one se_gate_qs8 launch over the MUL's output y that computes the
 * 1x1 conv `conv`'s output channel of each element from the squeezed vector sq, maps it through gtable and
 * multiplies with x through table (65536, index x byte << 8 | gate byte). */
int eqg_se_gate_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* conv, const TfLiteNode* mul, cl_mem x,
                       cl_mem sq, cl_mem y, const int8_t gtable[256], const int8_t* table, eqg_node_plan* plan,
                       char* err, size_t errlen);
/* A row program (fuse.h eqg_rowprog, LayerNorm): one rownorm_qs8 launch, one work group per row of x into y. */
struct eqg_rowprog;
int eqg_add_rowprog(eqg_device* dev, eqg_node_plan* plan, const struct eqg_rowprog* r, cl_mem x, cl_mem y, char* err,
                    size_t errlen);
/* BATCH_MATMUL; src[s] / perm[s] (or NULL): operand s is read from tensor src[s] through a TRANSPOSE's permutation
 * perm[s] (its output axis d is src axis perm[d]), inb[s] being src[s]'s buffer; dst / dst_perm (or NULL): the
 * output is stored as the TRANSPOSE after it with permutation dst_perm would store it into dst (outb[0] dst's). */
int eqg_bmm_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb, cl_mem const* outb,
                   eqg_node_plan* plan, const TfLiteTensor* const* src, const int* const* perm,
                   const TfLiteTensor* dst, const int* dst_perm, char* err, size_t errlen);
/* The reference table of a LOGISTIC, HARD_SWISH, GELU or RSQRT node (its input byte -> output byte);
 * -1 for other ops. */
int eqg_lut_table(TfLiteContext* ctx, const TfLiteNode* node, int code, int8_t lut[256]);
void eqg_plan_release(eqg_device* dev, eqg_node_plan* plan);

#endif /* EDGEQ_GPU_OP_H */
