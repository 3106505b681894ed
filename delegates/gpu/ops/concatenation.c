/* CONCATENATION on the GPU: one strided device-side copy per input. */
#include "gpu_op.h"

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
