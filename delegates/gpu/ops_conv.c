/* CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the GPU: int8 activations, int8 or
 * packed int4 weights (per-tensor or per-channel, zero point 0). Weights are uploaded as
 * stored in the model (int4 stays two per byte; kernels unpack nibbles). Requantization:
 * double rounding for the convolutions, single rounding for FULLY_CONNECTED, as LiteRT's
 * BUILTIN_REF kernels do (kernels/base/requant.h). */
#include <stdlib.h>
#include <string.h>

#include "gpu_ops.h"
#include "base/requant.h"

enum { EQG_FC_WG = 64 }; /* EQ_FC_WG in kernels/qs8.cl */

/* Per-channel bias / multiplier / shift buffers (bias absent = zeros). */
static int upload_channel_params(eqg_device* dev, eqg_node_plan* plan, TfLiteContext* ctx, const TfLiteTensor* in,
                                 const TfLiteTensor* w, const TfLiteTensor* b, const TfLiteTensor* out, int channels,
                                 cl_mem* bias, cl_mem* mult, cl_mem* shift, char* err, size_t errlen) {
  (void)ctx;
  int32_t* buf = calloc((size_t)channels * 3, sizeof(int32_t));
  if (!buf) return -1;
  if (b) memcpy(buf, b->data.raw_const, sizeof(int32_t) * (size_t)channels);
  eq_channel_multipliers(in, w, out, channels, buf + channels, buf + 2 * channels);
  const size_t bytes = sizeof(int32_t) * (size_t)channels;
  *bias = eqg_upload(dev, plan, buf, bytes, err, errlen);
  *mult = *bias ? eqg_upload(dev, plan, buf + channels, bytes, err, errlen) : NULL;
  *shift = *mult ? eqg_upload(dev, plan, buf + 2 * channels, bytes, err, errlen) : NULL;
  free(buf);
  return *shift ? 0 : -1;
}

/* ---------------- CONV_2D ---------------- */

static int conv_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_conv_geometry g;
  eq_conv2d_prepare(ctx, node, &g);
  const cl_int in_c = g.in_c, out_c = g.out_c, kh = g.kh, kw = g.kw;
  cl_int int4 = w->type == kTfLiteInt4, pixels = g.batches * g.out_h * g.out_w;
  /* int8 weights with in_c % 8 == 0 go up as [K/8][out_c][8] (coalesced loads across output
   * channels); the integer-dot variant reads them as stored ([out_c][K]) */
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
  if (!wm || upload_channel_params(dev, plan, ctx, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]),  EQG_ARG(wm),      EQG_ARG(bias),      EQG_ARG(mult),      EQG_ARG(shift),
                          EQG_ARG(outb[0]), EQG_ARG(g.in_h),  EQG_ARG(g.in_w),    EQG_ARG(g.in_c),    EQG_ARG(g.out_h),
                          EQG_ARG(g.out_w), EQG_ARG(g.out_c), EQG_ARG(g.kh),      EQG_ARG(g.kw),      EQG_ARG(g.sh),
                          EQG_ARG(g.sw),    EQG_ARG(g.dh),    EQG_ARG(g.dw),      EQG_ARG(g.pad_h),   EQG_ARG(g.pad_w),
                          EQG_ARG(g.in_zp), EQG_ARG(g.out_zp), EQG_ARG(g.act_min), EQG_ARG(g.act_max), EQG_ARG(int4),
                          EQG_ARG(w_interleaved), EQG_ARG(pixels)};
  const double ops = 2.0 * (double)pixels * out_c * kh * kw * in_c;
  if (eqg_add_launch(dev, plan, "conv2d_qs8", 2, (size_t)out_c, (size_t)pixels, args,
                     (int)(sizeof(args) / sizeof(args[0])), ops, err, errlen))
    return -1;
  eqg_channel_pixel_groups(dev, plan, (size_t)out_c);
  return 0;
}

const eqg_op_kind eqg_op_conv2d = {{"CONV_2D", kTfLiteBuiltinConv2d, eq_check_conv2d}, 0x6, conv_create};

/* ---------------- DEPTHWISE_CONV_2D ---------------- */

static int dw_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                     cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_conv_geometry g;
  eq_depthwise_conv2d_prepare(ctx, node, &g);
  const cl_int out_c = g.out_c, kh = g.kh, kw = g.kw;
  cl_int mult_ch = g.out_c / g.in_c, int4 = w->type == kTfLiteInt4, pixels = g.batches * g.out_h * g.out_w;
  cl_mem wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
  if (!wm || upload_channel_params(dev, plan, ctx, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]),   EQG_ARG(wm),       EQG_ARG(bias),      EQG_ARG(mult),    EQG_ARG(shift),
                          EQG_ARG(outb[0]),  EQG_ARG(g.in_h),   EQG_ARG(g.in_w),    EQG_ARG(g.in_c),  EQG_ARG(g.out_h),
                          EQG_ARG(g.out_w),  EQG_ARG(g.out_c),  EQG_ARG(mult_ch),   EQG_ARG(g.kh),    EQG_ARG(g.kw),
                          EQG_ARG(g.sh),     EQG_ARG(g.sw),     EQG_ARG(g.dh),      EQG_ARG(g.dw),    EQG_ARG(g.pad_h),
                          EQG_ARG(g.pad_w),  EQG_ARG(g.in_zp),  EQG_ARG(g.out_zp),  EQG_ARG(g.act_min),
                          EQG_ARG(g.act_max), EQG_ARG(int4),    EQG_ARG(pixels)};
  if (eqg_add_launch(dev, plan, "depthwise_qs8", 2, (size_t)out_c, (size_t)pixels, args,
                     (int)(sizeof(args) / sizeof(args[0])), 2.0 * (double)pixels * out_c * kh * kw, err, errlen))
    return -1;
  eqg_channel_pixel_groups(dev, plan, (size_t)out_c);
  return 0;
}

const eqg_op_kind eqg_op_depthwise_conv2d = {{"DEPTHWISE_CONV_2D", kTfLiteBuiltinDepthwiseConv2d, eq_check_depthwise_conv2d},
                                             0x6, dw_create};

/* ---------------- FULLY_CONNECTED ---------------- */

static int fc_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                     cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_fc_params p;
  eq_fully_connected_prepare(ctx, node, &p);
  const cl_int n = p.n, k = p.k, m = p.m;
  cl_int int4 = w->type == kTfLiteInt4;
  cl_mem wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
  if (!wm || upload_channel_params(dev, plan, ctx, in, w, b, out, n, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(wm),    EQG_ARG(bias),   EQG_ARG(mult),   EQG_ARG(shift),
                          EQG_ARG(outb[0]), EQG_ARG(p.n),  EQG_ARG(p.k),    EQG_ARG(p.in_zp), EQG_ARG(p.out_zp),
                          EQG_ARG(p.act_min), EQG_ARG(p.act_max), EQG_ARG(int4)};
  const int nargs = (int)(sizeof(args) / sizeof(args[0]));
  const double ops = 2.0 * (double)m * n * k;
  /* long rows: a work group per output; the dot-product variant keeps one lane per output */
  if (k >= 128 && strcmp(dev->dot_variant, "none") == 0) {
    if (eqg_add_launch(dev, plan, "fully_connected_wg_qs8", 2, (size_t)n * EQG_FC_WG, (size_t)m, args, nargs, ops,
                       err, errlen))
      return -1;
    eqg_set_local_size(plan, EQG_FC_WG, 1);
    return 0;
  }
  return eqg_add_launch(dev, plan, "fully_connected_qs8", 2, (size_t)n, (size_t)m, args, nargs, ops, err, errlen);
}

const eqg_op_kind eqg_op_fully_connected = {{"FULLY_CONNECTED", kTfLiteBuiltinFullyConnected, eq_check_fully_connected},
                                            0x6, fc_create};
