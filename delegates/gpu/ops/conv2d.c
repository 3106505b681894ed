/* CONV_2D on the GPU: int8 activations, int8 or packed int4 weights (per-tensor or per-channel,
 * zero point 0), double-rounding requantization as BUILTIN_REF's conv (kernels/base/requant.h).
 * int8 weights with in_c % 8 == 0 are interleaved for coalesced loads; int4 stays two per byte
 * and the kernel unpacks nibbles. Large int8 convolutions run as the tiled implicit GEMM
 * (launch.c, gemm_tiled_qs8). */
#include <stdlib.h>
#include <string.h>

#include "gpu_op.h"

/* Grouped (int8 weights [out_c][kh][kw][in_c / groups]): one input channel per group is a depthwise
 * convolution (ConvNeXt's), run by the depthwise kernel on the weights laid out as [kh][kw][out_c];
 * wider groups run the tiled implicit GEMM, whose column tiles stay inside a group. */
static int grouped_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, const eq_conv_geometry* g,
                          int groups, cl_mem const* inb, cl_mem const* outb, eqg_node_plan* plan, char* err,
                          size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  const int cpg = g->in_c / groups, taps = g->kh * g->kw;
  const cl_int pixels = g->batches * g->out_h * g->out_w;
  cl_mem bias, mult, shift, wm;
  if (cpg > 1) {
    wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen);
    if (!wm || eqg_upload_channel_params(dev, plan, in, w, b, out, g->out_c, &bias, &mult, &shift, err, errlen))
      return -1;
    return eqg_add_gemm_tiled(dev, plan, inb[0], wm, bias, mult, shift, outb[0], pixels, g->out_c, taps * cpg,
                              g->in_zp, g->out_zp, g->act_min, g->act_max, g, groups, err, errlen);
  }
  int8_t* t = malloc((size_t)taps * g->out_c);
  if (!t) return -1;
  const int8_t* src = (const int8_t*)w->data.raw_const;
  for (int oc = 0; oc < g->out_c; ++oc)
    for (int k = 0; k < taps; ++k) t[(size_t)k * g->out_c + oc] = src[(size_t)oc * taps + k];
  wm = eqg_upload(dev, plan, t, (size_t)taps * g->out_c, err, errlen);
  free(t);
  if (!wm || eqg_upload_channel_params(dev, plan, in, w, b, out, g->out_c, &bias, &mult, &shift, err, errlen))
    return -1;
  const cl_int mult_ch = g->out_c / g->in_c, int4 = 0;
  const eqg_arg args[] = {EQG_ARG(inb[0]),    EQG_ARG(wm),        EQG_ARG(bias),      EQG_ARG(mult),
                          EQG_ARG(shift),     EQG_ARG(outb[0]),   EQG_ARG(g->in_h),   EQG_ARG(g->in_w),
                          EQG_ARG(g->in_c),   EQG_ARG(g->out_h),  EQG_ARG(g->out_w),  EQG_ARG(g->out_c),
                          EQG_ARG(mult_ch),   EQG_ARG(g->kh),     EQG_ARG(g->kw),     EQG_ARG(g->sh),
                          EQG_ARG(g->sw),     EQG_ARG(g->dh),     EQG_ARG(g->dw),     EQG_ARG(g->pad_h),
                          EQG_ARG(g->pad_w),  EQG_ARG(g->in_zp),  EQG_ARG(g->out_zp), EQG_ARG(g->act_min),
                          EQG_ARG(g->act_max), EQG_ARG(int4),     EQG_ARG(pixels)};
  if (eqg_add_launch(dev, plan, "depthwise_qs8", 2, (size_t)g->out_c, (size_t)pixels, args, EQG_NARGS(args),
                     2.0 * (double)pixels * g->out_c * taps, err, errlen))
    return -1;
  eqg_channel_pixel_groups(dev, plan, (size_t)g->out_c);
  return 0;
}

int eqg_conv_rows_worth_it(int m, int n, int k) {
  return k >= 128 && ((long)m * n <= 2048 || (k >= 1024 && (long)m * n <= 16384));
}

static const char* check_conv(TfLiteContext* ctx, const TfLiteNode* node) { return eq_check_conv2d_groups(ctx, node, 1); }

static int conv_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_conv_geometry g;
  eq_conv2d_prepare(ctx, node, &g);
  const cl_int in_c = g.in_c, out_c = g.out_c, kh = g.kh, kw = g.kw;
  cl_int int4 = w->type == kTfLiteInt4, pixels = g.batches * g.out_h * g.out_w;
  const int groups = in_c / eq_dim(w, 3);
  if (groups > 1) return grouped_create(dev, ctx, node, &g, groups, inb, outb, plan, err, errlen);
  /* int8 weights with in_c % 8 == 0 go up as [K/8][out_c][8] (coalesced loads across output
   * channels); the integer-dot variant reads them as stored ([out_c][K]) */
  /* EDGEQ_GPU_CONV_KERNEL=direct|tiled overrides the size rule (kernel comparisons) */
  const char* force = getenv("EDGEQ_GPU_CONV_KERNEL");
  const int tiled = force && !strcmp(force, "direct")  ? 0
                    : force && !strcmp(force, "tiled") ? 1
                                                       : eqg_tiled_worth_it(pixels, out_c, kh * kw * in_c);
  const int one_by_one = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pad_h == 0 && g.pad_w == 0 &&
                         g.in_h == g.out_h && g.in_w == g.out_w;
  if (!int4 && strcmp(dev->dot_variant, "none") == 0 && !tiled && one_by_one && !(force && !strcmp(force, "direct")) &&
      eqg_conv_rows_worth_it(pixels, out_c, in_c)) {
    /* a 1x1 conv is a GEMM over the pixels: a work group per output splits the long depth */
    cl_mem wr = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
    if (!wr || eqg_upload_channel_params(dev, plan, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen))
      return -1;
    return eqg_add_fc_rows(dev, plan, inb[0], wr, bias, mult, shift, outb[0], pixels, out_c, in_c, g.in_zp, g.out_zp,
                           g.act_min, g.act_max, 0, 1, err, errlen);
  }
  if (!int4 && strcmp(dev->dot_variant, "none") == 0 && tiled) {
    /* enough output tiles: an implicit GEMM with local-memory blocking, weights as stored */
    cl_mem wt = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
    if (!wt || eqg_upload_channel_params(dev, plan, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen))
      return -1;
    return eqg_add_gemm_tiled(dev, plan, inb[0], wt, bias, mult, shift, outb[0], pixels, out_c, kh * kw * in_c,
                              g.in_zp, g.out_zp, g.act_min, g.act_max, &g, 1, err, errlen);
  }
  cl_int w_interleaved = !int4 && in_c % 8 == 0 && strcmp(dev->dot_variant, "none") == 0;
  cl_mem wm;
  if (w_interleaved) {
    const size_t K = (size_t)kh * kw * in_c;
    int8_t* t = malloc(K * (size_t)out_c);
    if (!t) return -1;
    const int8_t* src = (const int8_t*)w->data.raw_const;
    for (size_t oc = 0; oc < (size_t)out_c; ++oc)
      for (size_t k = 0; k < K; ++k) t[((k >> 3) * (size_t)out_c + oc) * 8 + (k & 7)] = src[oc * K + k];
    wm = eqg_upload(dev, plan, t, K * (size_t)out_c, err, errlen);
    free(t);
  } else {
    wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen);
  }
  cl_mem bias, mult, shift;
  if (!wm || eqg_upload_channel_params(dev, plan, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]),  EQG_ARG(wm),      EQG_ARG(bias),      EQG_ARG(mult),      EQG_ARG(shift),
                          EQG_ARG(outb[0]), EQG_ARG(g.in_h),  EQG_ARG(g.in_w),    EQG_ARG(g.in_c),    EQG_ARG(g.out_h),
                          EQG_ARG(g.out_w), EQG_ARG(g.out_c), EQG_ARG(g.kh),      EQG_ARG(g.kw),      EQG_ARG(g.sh),
                          EQG_ARG(g.sw),    EQG_ARG(g.dh),    EQG_ARG(g.dw),      EQG_ARG(g.pad_h),   EQG_ARG(g.pad_w),
                          EQG_ARG(g.in_zp), EQG_ARG(g.out_zp), EQG_ARG(g.act_min), EQG_ARG(g.act_max), EQG_ARG(int4),
                          EQG_ARG(w_interleaved), EQG_ARG(pixels)};
  const double ops = 2.0 * (double)pixels * out_c * kh * kw * in_c;
  if (eqg_add_launch(dev, plan, "conv2d_qs8", 2, (size_t)out_c, (size_t)pixels, args,
                     EQG_NARGS(args), ops, err, errlen))
    return -1;
  eqg_channel_pixel_groups(dev, plan, (size_t)out_c);
  return 0;
}

const eqg_op_kind eqg_op_conv2d = {{"CONV_2D", kTfLiteBuiltinConv2d, check_conv}, 0x6, conv_create};
