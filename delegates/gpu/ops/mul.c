/* MUL on the GPU, with broadcasting: mul.cc's Prepare-time multiplier (common/ops/mul.c) on the
 * host; per element zp_out + MBQM((x - zx) * (y - zy)) in the kernel. */
#include <string.h>

#include "broadcast.h"
#include "gpu_op.h"

static int mul_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
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
  eq_mul_params p;
  eq_mul_prepare(ctx, node, &p);
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const cl_int shift = p.shift;
  const eqg_arg args[] = {EQG_ARG(inb[0]),      EQG_ARG(inb[1]),       EQG_ARG(outb[0]),    EQG_ARG(mm),
                          EQG_ARG(p.in1_offset), EQG_ARG(p.in2_offset), EQG_ARG(p.out_offset), EQG_ARG(p.mult),
                          EQG_ARG(shift),        EQG_ARG(p.act_min),    EQG_ARG(p.act_max)};
  return eqg_add_launch(dev, plan, "mul_qs8", 1, bc.total, 1, args, EQG_NARGS(args), (double)bc.total, err, errlen);
}

const eqg_op_kind eqg_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, 0, mul_create};
