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

int eqg_se_gate_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* conv, const TfLiteNode* mul, cl_mem x,
                       cl_mem sq, cl_mem y, const int8_t gtable[256], const int8_t* table, eqg_node_plan* plan,
                       char* err, size_t errlen) {
  const TfLiteTensor *s = eq_in(ctx, conv, 0), *w = eq_in(ctx, conv, 1), *out = eq_out(ctx, mul, 0);
  const TfLiteTensor* b = conv->inputs->size > 2 && conv->inputs->data[2] >= 0 ? eq_in(ctx, conv, 2) : NULL;
  eq_conv_geometry g;
  eq_conv2d_prepare(ctx, conv, &g);
  const cl_int c_n = eq_dim(w, 0), k_n = eq_dim(w, 3), total = (cl_int)eq_numel(out);
  const cl_int hwc = eq_dim(out, 1) * eq_dim(out, 2) * c_n;
  cl_mem wm = eqg_upload(dev, plan, w->data.raw_const, (size_t)c_n * k_n, err, errlen), bias, mult, shift;
  if (!wm || eqg_upload_channel_params(dev, plan, s, w, b, eq_out(ctx, conv, 0), c_n, &bias, &mult, &shift, err, errlen))
    return -1;
  cl_mem gt = eqg_upload(dev, plan, gtable, 256, err, errlen);
  cl_mem t2 = gt ? eqg_upload(dev, plan, table, 65536, err, errlen) : NULL;
  if (!t2) return -1;
  const eqg_arg args[] = {EQG_ARG(x),       EQG_ARG(sq),       EQG_ARG(wm),       EQG_ARG(bias),   EQG_ARG(mult),
                          EQG_ARG(shift),   EQG_ARG(gt),       EQG_ARG(t2),       EQG_ARG(y),      EQG_ARG(total),
                          EQG_ARG(c_n),     EQG_ARG(k_n),      EQG_ARG(hwc),      EQG_ARG(g.in_zp), EQG_ARG(g.out_zp),
                          EQG_ARG(g.act_min), EQG_ARG(g.act_max)};
  return eqg_add_launch(dev, plan, "se_gate_qs8", 1, (size_t)total, 1, args, EQG_NARGS(args),
                        2.0 * (double)total * k_n, err, errlen);
}

const eqg_op_kind eqg_op_mul = {{"MUL", kTfLiteBuiltinMul, eq_check_mul}, 0, mul_create};
