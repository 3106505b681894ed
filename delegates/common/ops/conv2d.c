/* CONV_2D: what both delegates support, and the geometry their kernels take. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"
#include "weights.h"

const char* eq_check_conv2d(TfLiteContext* ctx, const TfLiteNode* node) { return eq_check_conv2d_groups(ctx, node, 0); }

/* The first checks of every CONV_2D form; fills the operands. */
static const char* conv_operands(TfLiteContext* ctx, const TfLiteNode* node, const TfLiteTensor** in,
                                 const TfLiteTensor** w, const TfLiteTensor** b, const TfLiteTensor** out) {
  *in = eq_in(ctx, node, 0);
  *w = eq_in(ctx, node, 1);
  *b = eq_in(ctx, node, 2);
  *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !*in || !*w || !*out) return "missing inputs";
  if (!eq_is_qs8(*in) || !eq_is_qs8(*out)) return "activations are not per-tensor int8";
  if (eq_rank(*in) != 4 || eq_rank(*w) != 4 || eq_rank(*out) != 4) return "not 4-D";
  return NULL;
}

/* The last checks of every CONV_2D form, once the filter's output channels match the output's. */
static const char* conv_params_and_constants(const TfLiteConvParams* p, const TfLiteTensor* w, const TfLiteTensor* b) {
  if (!eq_supported_activation(p->activation)) return "unsupported fused activation";
  if (p->stride_width < 1 || p->stride_height < 1 || p->dilation_width_factor < 1 || p->dilation_height_factor < 1)
    return "bad stride/dilation";
  const char* why = eq_check_weights(w, 0, eq_dim(w, 0));
  if (why) return why;
  return eq_check_bias(b, eq_dim(w, 0));
}

const char* eq_check_conv2d_groups(TfLiteContext* ctx, const TfLiteNode* node, int allow_groups) {
  const TfLiteTensor *in, *w, *b, *out;
  const char* why = conv_operands(ctx, node, &in, &w, &b, &out);
  if (why) return why;
  if (eq_dim(w, 3) != eq_dim(in, 3)) {
    const int wc = eq_dim(w, 3), ic = eq_dim(in, 3);
    if (!allow_groups) return "grouped convolution";
    if (wc < 1 || ic % wc != 0 || eq_dim(w, 0) % (ic / wc) != 0) return "group sizes do not divide the channels";
    if (w->type != kTfLiteInt8) return "grouped convolution with int4 weights";
  }
  if (eq_dim(w, 0) != eq_dim(out, 3)) return "filter/output channel mismatch";
  return conv_params_and_constants((const TfLiteConvParams*)node->builtin_data, w, b);
}

const char* eq_check_conv2d_depthwise_form(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in, *w, *b, *out;
  const char* why = conv_operands(ctx, node, &in, &w, &b, &out);
  if (why) return why;
  const int ic = eq_dim(in, 3), oc = eq_dim(out, 3);
  if (eq_dim(w, 3) != 1 || ic < 2 || eq_dim(w, 0) != oc || oc % ic != 0)
    return "grouped convolution with more than one input channel per group";
  if (w->type != kTfLiteInt8) return "grouped convolution with int4 weights";
  return conv_params_and_constants((const TfLiteConvParams*)node->builtin_data, w, b);
}

/* Shared by CONV_2D and DEPTHWISE_CONV_2D, whose params agree on the fields read here. */
static void conv_geometry(TfLiteContext* ctx, const TfLiteNode* node, int sh, int sw, int dh, int dw, int activation,
                          eq_conv_geometry* g) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *w = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  g->batches = eq_dim(in, 0);
  g->in_h = eq_dim(in, 1);
  g->in_w = eq_dim(in, 2);
  g->in_c = eq_dim(in, 3);
  g->out_h = eq_dim(out, 1);
  g->out_w = eq_dim(out, 2);
  g->out_c = eq_dim(out, 3);
  g->kh = eq_dim(w, 1);
  g->kw = eq_dim(w, 2);
  g->sh = sh;
  g->sw = sw;
  g->dh = dh;
  g->dw = dw;
  g->pad_h = eq_pad_before(sh, dh, g->in_h, g->kh, g->out_h);
  g->pad_w = eq_pad_before(sw, dw, g->in_w, g->kw, g->out_w);
  g->in_zp = in->params.zero_point;
  g->out_zp = out->params.zero_point;
  eq_activation_range_int8(activation, out->params.scale, out->params.zero_point, &g->act_min, &g->act_max);
}

void eq_conv2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_conv_geometry* g) {
  const TfLiteConvParams* p = (const TfLiteConvParams*)node->builtin_data;
  conv_geometry(ctx, node, p->stride_height, p->stride_width, p->dilation_height_factor, p->dilation_width_factor,
                p->activation, g);
}

void eq_depthwise_conv2d_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_conv_geometry* g) {
  const TfLiteDepthwiseConvParams* p = (const TfLiteDepthwiseConvParams*)node->builtin_data;
  conv_geometry(ctx, node, p->stride_height, p->stride_width, p->dilation_height_factor, p->dilation_width_factor,
                p->activation, g);
}
