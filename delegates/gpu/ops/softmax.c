/* SOFTMAX on the GPU: the reference's gemmlowp fixed-point path, a 64-lane work group per row; the
 * Prepare-time scaling comes from common/ops/softmax.c. */
#include "gpu_op.h"

static int softmax_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_softmax_params p;
  eq_softmax_prepare(ctx, node, &p);
  cl_int depth = (cl_int)p.depth, left_shift = p.input_left_shift, diff_min = p.diff_min;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(depth), EQG_ARG(p.input_multiplier),
                          EQG_ARG(left_shift), EQG_ARG(diff_min)};
  if (eqg_add_launch(dev, plan, "softmax_qs8", 1, p.outer * 64, 1, args, EQG_NARGS(args),
                     (double)eq_numel(eq_in(ctx, node, 0)), err, errlen))
    return -1;
  eqg_set_local_size(plan, 64, 1); /* EQ_SOFTMAX_WG in qs8.cl */
  return 0;
}

const eqg_op_kind eqg_op_softmax = {{"SOFTMAX", kTfLiteBuiltinSoftmax, eq_check_softmax}, 0, softmax_create};
