/* ADD, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SOFTMAX on the GPU. Prepare-time
 * parameters come from common/ops (add.cc, reduce.cc, activations.cc, as the CPU delegate
 * takes them); the kernels only do the per-element integer math. */
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "gpu_ops.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------- ADD ---------------- */

static int add_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_bcast bc;
  memset(&bc, 0, sizeof(bc));
  eq_bcast_init(&bc, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0));
  cl_int meta[15];
  for (int i = 0; i < 5; ++i) {
    meta[i] = bc.dims[i];
    meta[5 + i] = (cl_int)bc.a_stride[i];
    meta[10 + i] = (cl_int)bc.b_stride[i];
  }
  qs8_add_params p;
  eq_add_prepare(ctx, node, &p);
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]),    EQG_ARG(inb[1]),     EQG_ARG(outb[0]),    EQG_ARG(mm),
                          EQG_ARG(p.a_offset), EQG_ARG(p.b_offset), EQG_ARG(p.out_zp),   EQG_ARG(p.a_mult),
                          EQG_ARG(p.a_shift),  EQG_ARG(p.b_mult),   EQG_ARG(p.b_shift),  EQG_ARG(p.out_mult),
                          EQG_ARG(p.out_shift), EQG_ARG(p.left_shift), EQG_ARG(p.out_min), EQG_ARG(p.out_max)};
  return eqg_add_launch(dev, plan, "add_qs8", 1, bc.total, 1, args, NARGS(args), (double)bc.total, err, errlen);
}

const eqg_op_kind eqg_op_add = {{"ADD", kTfLiteBuiltinAdd, eq_check_add}, 0, add_create};

/* ---------------- AVERAGE_POOL_2D / MAX_POOL_2D ---------------- */

static int pool_create_common(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                              cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen, cl_int is_max) {
  eq_pool2d_params g;
  eq_pool2d_prepare(ctx, node, &g);
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(g.in_h),  EQG_ARG(g.in_w),    EQG_ARG(g.c),
                          EQG_ARG(g.out_h), EQG_ARG(g.out_w), EQG_ARG(g.fh),   EQG_ARG(g.fw),      EQG_ARG(g.sh),
                          EQG_ARG(g.sw),    EQG_ARG(g.pad_h), EQG_ARG(g.pad_w), EQG_ARG(g.act_min), EQG_ARG(g.act_max),
                          EQG_ARG(is_max)};
  const size_t pixels = (size_t)g.batches * g.out_h * g.out_w;
  return eqg_add_launch(dev, plan, "pool2d_qs8", 2, (size_t)g.c, pixels, args, NARGS(args),
                        (double)pixels * g.c * g.fh * g.fw, err, errlen);
}

static int avg_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return pool_create_common(dev, ctx, node, inb, outb, plan, err, errlen, 0);
}
static int max_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return pool_create_common(dev, ctx, node, inb, outb, plan, err, errlen, 1);
}

const eqg_op_kind eqg_op_average_pool2d = {{"AVERAGE_POOL_2D", kTfLiteBuiltinAveragePool2d, eq_check_pool2d},
                                           0, avg_create};
const eqg_op_kind eqg_op_max_pool2d = {{"MAX_POOL_2D", kTfLiteBuiltinMaxPool2d, eq_check_pool2d}, 0, max_create};

/* ---------------- MEAN ---------------- */

static int mean_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_mean_params p;
  eq_mean_prepare(ctx, node, &p);
  /* meta: n_kept, n_red, kept_dims[6], kept_strides[6], red_dims[6], red_strides[6] */
  cl_int meta[26] = {0};
  cl_int stride[EQ_MEAN_MAX_RANK];
  cl_int s = 1;
  for (int i = p.rank - 1; i >= 0; --i) {
    stride[i] = s;
    s *= p.dims[i];
  }
  for (int i = 0; i < p.rank; ++i) {
    if (p.reduced[i]) {
      meta[14 + meta[1]] = p.dims[i];
      meta[20 + meta[1]] = stride[i];
      meta[1]++;
    } else {
      meta[2 + meta[0]] = p.dims[i];
      meta[8 + meta[0]] = stride[i];
      meta[0]++;
    }
  }
  cl_int cnt = (cl_int)p.count, out_shift = p.shift;
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(mm),     EQG_ARG(cnt),
                          EQG_ARG(p.in_zp), EQG_ARG(p.out_zp), EQG_ARG(p.mult), EQG_ARG(out_shift)};
  return eqg_add_launch(dev, plan, "mean_qs8", 1, eq_numel(eq_out(ctx, node, 0)), 1, args, NARGS(args),
                        (double)eq_numel(eq_in(ctx, node, 0)), err, errlen);
}

const eqg_op_kind eqg_op_mean = {{"MEAN", kTfLiteBuiltinMean, eq_check_mean}, 0x2, mean_create};

/* ---------------- SOFTMAX ---------------- */

static int softmax_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_softmax_params p;
  eq_softmax_prepare(ctx, node, &p);
  cl_int depth = (cl_int)p.depth, left_shift = p.input_left_shift, diff_min = p.diff_min;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(depth), EQG_ARG(p.input_multiplier),
                          EQG_ARG(left_shift), EQG_ARG(diff_min)};
  return eqg_add_launch(dev, plan, "softmax_qs8", 1, p.outer, 1, args, NARGS(args),
                        (double)eq_numel(eq_in(ctx, node, 0)), err, errlen);
}

const eqg_op_kind eqg_op_softmax = {{"SOFTMAX", kTfLiteBuiltinSoftmax, eq_check_softmax}, 0, softmax_create};
