/* RESHAPE on the GPU: a device-side copy, so a partition that reshapes between convolutions
 * never goes back to the host. */
#include "gpu_op.h"

static int reshape_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const size_t n = eq_numel(eq_in(ctx, node, 0));
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0])};
  return eqg_add_launch(dev, plan, "copy_i8", 1, n, 1, args, 2, 0.0, err, errlen);
}

const eqg_op_kind eqg_op_reshape = {{"RESHAPE", kTfLiteBuiltinReshape, eq_check_reshape}, 0x2, reshape_create};
