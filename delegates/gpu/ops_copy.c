/* RESHAPE and CONCATENATION on the GPU: device-side copies, so a partition that reshapes
 * or concatenates between convolutions never goes back to the host. */
#include <stdlib.h>

#include "gpu_ops.h"

/* ---------------- RESHAPE ---------------- */

static int reshape_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const size_t n = eq_numel(eq_in(ctx, node, 0));
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0])};
  return eqg_add_launch(dev, plan, "copy_i8", 1, n, 1, args, 2, 0.0, err, errlen);
}

const eqg_op_kind eqg_op_reshape = {{"RESHAPE", kTfLiteBuiltinReshape, eq_check_reshape}, 0x2, reshape_create};

/* ---------------- CONCATENATION ---------------- */
static const char* concat_check(TfLiteContext* ctx, const TfLiteNode* node) {
  if (node->inputs->size > EQG_MAX_LAUNCH) return "too many inputs"; /* one kernel launch */
  return eq_check_concatenation(ctx, node);
}

static int concat_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                         cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  int axis;
  size_t outer, inner;
  eq_concatenation_layout(ctx, node, &axis, &outer, &inner);
  cl_int out_chunk = (cl_int)((size_t)eq_dim(out, axis) * inner), offset = 0;
  for (int i = 0; i < node->inputs->size; ++i) {
    cl_int chunk = (cl_int)((size_t)eq_dim(eq_in(ctx, node, i), axis) * inner);
    const eqg_arg args[] = {EQG_ARG(inb[i]), EQG_ARG(outb[0]), EQG_ARG(chunk), EQG_ARG(out_chunk), EQG_ARG(offset)};
    if (chunk > 0 && eqg_add_launch(dev, plan, "concat_part_i8", 1, outer * (size_t)chunk, 1, args, 5, 0.0, err, errlen))
      return -1;
    offset += chunk;
  }
  return 0;
}

const eqg_op_kind eqg_op_concatenation = {{"CONCATENATION", kTfLiteBuiltinConcatenation, concat_check},
                                          0, concat_create};
