/* MUL on the GPU, with broadcasting: mul.cc's Prepare-time multiplier (common/ops/mul.c) on the
 * host; per element zp_out + MBQM((x - zx) * (y - zy)) in the kernel. */
#include "gpu_op.h"

static int mul_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  size_t total = 0;
  cl_mem mm = eqg_upload_bcast(dev, plan, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0), &total,
                               err, errlen);
  if (!mm) return -1;
  qs8_mul_params p;
  eq_mul_prepare(ctx, node, &p);
  const eqg_arg args[] = {EQG_ARG(inb[0]),    EQG_ARG(inb[1]),    EQG_ARG(outb[0]), EQG_ARG(mm),
                          EQG_ARG(p.a_offset), EQG_ARG(p.b_offset), EQG_ARG(p.out_zp), EQG_ARG(p.mult),
                          EQG_ARG(p.shift),    EQG_ARG(p.out_min),  EQG_ARG(p.out_max)};
  return eqg_add_launch(dev, plan, "mul_qs8", 1, total, 1, args, EQG_NARGS(args), (double)total, err, errlen);
}

int eqg_mul_gate_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul,
                        cl_mem other, cl_mem gate_in, cl_mem y, eqg_node_plan* plan, char* err, size_t errlen) {
  const int s = logistic->outputs->data[0];
  const int gate_first = mul->inputs->data[0] == s; /* the kernel wants the gate second: MUL commutes */
  size_t total = 0;
  cl_mem mm = eqg_upload_bcast(dev, plan, eq_in(ctx, mul, gate_first ? 1 : 0), eq_in(ctx, mul, gate_first ? 0 : 1),
                               eq_out(ctx, mul, 0), &total, err, errlen);
  if (!mm) return -1;
  qs8_mul_params p;
  eq_mul_prepare(ctx, mul, &p);
  int8_t sig[256];
  eq_logistic_lut(eq_in(ctx, logistic, 0), eq_out(ctx, logistic, 0), sig);
  cl_mem lut = eqg_upload(dev, plan, sig, sizeof(sig), err, errlen);
  if (!lut) return -1;
  const cl_int a_off = gate_first ? p.b_offset : p.a_offset, g_off = gate_first ? p.a_offset : p.b_offset;
  const eqg_arg args[] = {EQG_ARG(other), EQG_ARG(gate_in), EQG_ARG(y),         EQG_ARG(mm),
                          EQG_ARG(a_off), EQG_ARG(g_off),   EQG_ARG(p.out_zp),  EQG_ARG(p.mult),
                          EQG_ARG(p.shift), EQG_ARG(p.out_min), EQG_ARG(p.out_max), EQG_ARG(lut)};
  return eqg_add_launch(dev, plan, "mul_lut_qs8", 1, total, 1, args, EQG_NARGS(args), (double)total, err, errlen);
}

const eqg_op_kind eqg_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, 0, mul_create};
