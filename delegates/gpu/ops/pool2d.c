/* AVERAGE_POOL_2D and MAX_POOL_2D on the GPU (input and output share quantization). */
#include "gpu_op.h"

static int pool_create_common(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                              cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen, cl_int is_max) {
  eq_pool2d_params g;
  eq_pool2d_prepare(ctx, node, &g);
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(g.in_h),  EQG_ARG(g.in_w),    EQG_ARG(g.c),
                          EQG_ARG(g.out_h), EQG_ARG(g.out_w), EQG_ARG(g.fh),   EQG_ARG(g.fw),      EQG_ARG(g.sh),
                          EQG_ARG(g.sw),    EQG_ARG(g.pad_h), EQG_ARG(g.pad_w), EQG_ARG(g.act_min), EQG_ARG(g.act_max),
                          EQG_ARG(is_max)};
  const size_t pixels = (size_t)g.batches * g.out_h * g.out_w;
  return eqg_add_launch(dev, plan, "pool2d_qs8", 2, (size_t)g.c, pixels, args, EQG_NARGS(args),
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
