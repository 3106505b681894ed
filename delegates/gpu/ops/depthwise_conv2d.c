/* DEPTHWISE_CONV_2D on the GPU (any depth multiplier): int8 or packed int4 weights uploaded as
 * stored, double-rounding requantization as BUILTIN_REF's. */
#include "gpu_op.h"

static int dw_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                     cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *b = eq_in(ctx, node, 2);
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  eq_conv_geometry g;
  eq_depthwise_conv2d_prepare(ctx, node, &g);
  const cl_int out_c = g.out_c, kh = g.kh, kw = g.kw;
  cl_int mult_ch = g.out_c / g.in_c, int4 = w->type == kTfLiteInt4, pixels = g.batches * g.out_h * g.out_w;
  cl_mem wm = eqg_upload(dev, plan, w->data.raw_const, w->bytes, err, errlen), bias, mult, shift;
  if (!wm || eqg_upload_channel_params(dev, plan, in, w, b, out, out_c, &bias, &mult, &shift, err, errlen)) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]),   EQG_ARG(wm),       EQG_ARG(bias),      EQG_ARG(mult),    EQG_ARG(shift),
                          EQG_ARG(outb[0]),  EQG_ARG(g.in_h),   EQG_ARG(g.in_w),    EQG_ARG(g.in_c),  EQG_ARG(g.out_h),
                          EQG_ARG(g.out_w),  EQG_ARG(g.out_c),  EQG_ARG(mult_ch),   EQG_ARG(g.kh),    EQG_ARG(g.kw),
                          EQG_ARG(g.sh),     EQG_ARG(g.sw),     EQG_ARG(g.dh),      EQG_ARG(g.dw),    EQG_ARG(g.pad_h),
                          EQG_ARG(g.pad_w),  EQG_ARG(g.in_zp),  EQG_ARG(g.out_zp),  EQG_ARG(g.act_min),
                          EQG_ARG(g.act_max), EQG_ARG(int4),    EQG_ARG(pixels)};
  if (eqg_add_launch(dev, plan, "depthwise_qs8", 2, (size_t)out_c, (size_t)pixels, args,
                     EQG_NARGS(args), 2.0 * (double)pixels * out_c * kh * kw, err, errlen))
    return -1;
  eqg_channel_pixel_groups(dev, plan, (size_t)out_c);
  return 0;
}

const eqg_op_kind eqg_op_depthwise_conv2d = {{"DEPTHWISE_CONV_2D", kTfLiteBuiltinDepthwiseConv2d, eq_check_depthwise_conv2d},
                                             0x6, dw_create};
