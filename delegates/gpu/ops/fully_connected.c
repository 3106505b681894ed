/* FULLY_CONNECTED on the GPU: int8 or packed int4 weights uploaded as stored, single-rounding
 * requantization as BUILTIN_REF's int8 FC. Long rows (k >= 128) take a work group per output. */
#include <stdlib.h>
#include <string.h>

#include "gpu_op.h"

enum { EQG_FC_WG = 64 };                        /* EQ_FC_WG in kernels/qs8.cl */
enum { EQG_GEMV_WG = 256, EQG_GEMV_LPR = 32 };  /* EQ_GEMV_WG, EQ_GEMV_LPR there */
enum { EQG_GEMV_MIN_N = 128 };                  /* outputs from which the GEMV is used (16 work groups) */

int eqg_add_fc_rows(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem w, cl_mem bias, cl_mem mult,
                    cl_mem shift, cl_mem out, int m, int n, int k, int in_zp, int out_zp, int act_min, int act_max,
                    int int4, int double_round, char* err, size_t errlen) {
  const cl_int n_out = n, kk = k, izp = in_zp, ozp = out_zp, amin = act_min, amax = act_max, i4 = int4,
               dr = double_round;
  const eqg_arg args[] = {EQG_ARG(in),  EQG_ARG(w),   EQG_ARG(bias), EQG_ARG(mult), EQG_ARG(shift), EQG_ARG(out),
                          EQG_ARG(n_out), EQG_ARG(kk), EQG_ARG(izp), EQG_ARG(ozp),  EQG_ARG(amin),  EQG_ARG(amax),
                          EQG_ARG(i4),  EQG_ARG(dr)};
  if (eqg_add_launch(dev, plan, "fully_connected_wg_qs8", 2, (size_t)n * EQG_FC_WG, (size_t)m, args, EQG_NARGS(args),
                     2.0 * (double)m * n * k, err, errlen))
    return -1;
  eqg_set_local_size(plan, EQG_FC_WG, 1);
  return 0;
}

static int fc_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                     cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_fc_params p;
  eq_fully_connected_prepare(ctx, node, &p);
  const cl_int n = p.n, k = p.k, m = p.m;
  cl_int int4 = w->type == kTfLiteInt4;
  cl_mem wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
  if (!wm || eqg_upload_channel_params(dev, plan, in, w, b, out, n, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(wm),    EQG_ARG(bias),   EQG_ARG(mult),   EQG_ARG(shift),
                          EQG_ARG(outb[0]), EQG_ARG(p.n),  EQG_ARG(p.k),    EQG_ARG(p.in_zp), EQG_ARG(p.out_zp),
                          EQG_ARG(p.act_min), EQG_ARG(p.act_max), EQG_ARG(int4)};
  const int nargs = EQG_NARGS(args);
  const double ops = 2.0 * (double)m * n * k;
  /* many rows: a tiled GEMM (64x64 tiles staged in local memory) */
  if (!int4 && m >= 32 && n >= 32 && k >= 16 && strcmp(dev->dot_variant, "none") == 0) {
    return eqg_add_gemm_tiled(dev, plan, inb[0], wm, bias, mult, shift, outb[0], m, n, k, p.in_zp, p.out_zp,
                              p.act_min, p.act_max, NULL, 1, err, errlen);
  }
  /* long rows of 16-byte multiples and enough outputs: the GEMV (EQG_GEMV_WG lanes, EQG_GEMV_LPR per output,
   * aligned vector loads). Few outputs (an MLP's 10-class layer: one or two groups of the GEMV) keep the
   * work-group-per-output kernel, which spreads them over more lanes: H200, 10 x 4096 int8 11.1 us GEMV vs
   * 6.5 us, 10 x 2048 7.7 vs 6.7; 1000 x 1280 5.5 vs 6.4, 1000 x 2048 8.1 vs 8.0.
   * EDGEQ_GPU_FC_KERNEL=wg / gemv forces one (comparisons, tests) */
  const char* fc_kernel = getenv("EDGEQ_GPU_FC_KERNEL");
  const int gemv_ok = fc_kernel && !strcmp(fc_kernel, "gemv") ? 1
                      : fc_kernel && !strcmp(fc_kernel, "wg") ? 0
                                                              : n >= EQG_GEMV_MIN_N;
  if (gemv_ok && k >= 128 && (k & 15) == 0 && strcmp(dev->dot_variant, "none") == 0) {
    const size_t per_group = EQG_GEMV_WG / EQG_GEMV_LPR;
    if (eqg_add_launch(dev, plan, "fc_gemv_qs8", 2, ((size_t)n + per_group - 1) / per_group * EQG_GEMV_WG, (size_t)m,
                       args, nargs, ops, err, errlen))
      return -1;
    size_t max_wg = 0;
    eqg_launch* l = &plan->launch[plan->n_launch - 1];
    if (dev->cl.GetKernelWorkGroupInfo(l->kernel, dev->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof(max_wg), &max_wg,
                                       NULL) == CL_SUCCESS &&
        max_wg >= EQG_GEMV_WG) {
      eqg_set_local_size(plan, EQG_GEMV_WG, 1);
      return 0;
    }
    dev->cl.ReleaseKernel(l->kernel); /* a device that cannot run 256 lanes of it: the kernel below */
    memset(l, 0, sizeof(*l));
    plan->n_launch--;
  }
  /* long rows: a work group per output; the dot-product variant keeps one lane per output */
  if (k >= 128 && strcmp(dev->dot_variant, "none") == 0)
    return eqg_add_fc_rows(dev, plan, inb[0], wm, bias, mult, shift, outb[0], m, n, k, p.in_zp, p.out_zp, p.act_min,
                           p.act_max, int4, 0, err, errlen);
  return eqg_add_launch(dev, plan, "fully_connected_qs8", 2, (size_t)n, (size_t)m, args, nargs, ops, err, errlen);
}

const eqg_op_kind eqg_op_fully_connected = {{"FULLY_CONNECTED", kTfLiteBuiltinFullyConnected, eq_check_fully_connected},
                                            0x6, fc_create};
