/* ADD, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SOFTMAX on the GPU. Prepare-time
 * parameters are computed on the host exactly as the CPU delegate does (add.cc,
 * reduce.cc, activations.cc); the kernels only do the per-element integer math. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "gpu_ops.h"
#include "base/requant.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------- ADD ---------------- */

static int add_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteAddParams* p = (const TfLiteAddParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  eq_bcast bc;
  memset(&bc, 0, sizeof(bc));
  eq_bcast_init(&bc, a, b, out);
  cl_int meta[15];
  for (int i = 0; i < 5; ++i) {
    meta[i] = bc.dims[i];
    meta[5 + i] = (cl_int)bc.a_stride[i];
    meta[10 + i] = (cl_int)bc.b_stride[i];
  }
  cl_int in1_off = -a->params.zero_point, in2_off = -b->params.zero_point, out_off = out->params.zero_point;
  cl_int left_shift = 20, m1, m2, mo, s1, s2, so, act_min, act_max;
  /* add.cc: 2 * max(scale) is a float product, then widened */
  const float max_scale = a->params.scale > b->params.scale ? a->params.scale : b->params.scale;
  const double twice_max = (double)(2 * max_scale);
  int is1, is2, iso;
  eq_quantize_multiplier((double)a->params.scale / twice_max, &m1, &is1);
  eq_quantize_multiplier((double)b->params.scale / twice_max, &m2, &is2);
  eq_quantize_multiplier(twice_max / (double)((float)(1 << left_shift) * out->params.scale), &mo, &iso);
  s1 = is1; s2 = is2; so = iso;
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &act_min, &act_max);
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(inb[1]), EQG_ARG(outb[0]), EQG_ARG(mm),      EQG_ARG(in1_off),
                          EQG_ARG(in2_off), EQG_ARG(out_off), EQG_ARG(m1),    EQG_ARG(s1),      EQG_ARG(m2),
                          EQG_ARG(s2),     EQG_ARG(mo),     EQG_ARG(so),      EQG_ARG(left_shift), EQG_ARG(act_min),
                          EQG_ARG(act_max)};
  return eqg_add_launch(dev, plan, "add_qs8", 1, bc.total, 1, args, NARGS(args), (double)bc.total, err, errlen);
}

const eqg_op_kind eqg_op_add = {"ADD", kTfLiteBuiltinAdd, 0, eq_check_add, add_create};

/* ---------------- AVERAGE_POOL_2D / MAX_POOL_2D ---------------- */

static int pool_create_common(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                              cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen, cl_int is_max) {
  const TfLitePoolParams* p = (const TfLitePoolParams*)node->builtin_data;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  cl_int batches = eq_dim(in, 0), in_h = eq_dim(in, 1), in_w = eq_dim(in, 2), c = eq_dim(in, 3);
  cl_int out_h = eq_dim(out, 1), out_w = eq_dim(out, 2);
  cl_int fh = p->filter_height, fw = p->filter_width, sh = p->stride_height, sw = p->stride_width;
  cl_int pad_h = eq_pad_before(sh, 1, in_h, fh, out_h), pad_w = eq_pad_before(sw, 1, in_w, fw, out_w);
  cl_int act_min, act_max;
  eq_activation_range_int8(p->activation, out->params.scale, out->params.zero_point, &act_min, &act_max);
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(in_h),  EQG_ARG(in_w),    EQG_ARG(c),
                          EQG_ARG(out_h),  EQG_ARG(out_w),   EQG_ARG(fh),    EQG_ARG(fw),      EQG_ARG(sh),
                          EQG_ARG(sw),     EQG_ARG(pad_h),   EQG_ARG(pad_w), EQG_ARG(act_min), EQG_ARG(act_max),
                          EQG_ARG(is_max)};
  const size_t pixels = (size_t)batches * out_h * out_w;
  return eqg_add_launch(dev, plan, "pool2d_qs8", 2, (size_t)c, pixels, args, NARGS(args),
                        (double)pixels * c * fh * fw, err, errlen);
}

static int avg_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return pool_create_common(dev, ctx, node, inb, outb, plan, err, errlen, 0);
}
static int max_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return pool_create_common(dev, ctx, node, inb, outb, plan, err, errlen, 1);
}

const eqg_op_kind eqg_op_average_pool2d = {"AVERAGE_POOL_2D", kTfLiteBuiltinAveragePool2d, 0, eq_check_pool2d,
                                           avg_create};
const eqg_op_kind eqg_op_max_pool2d = {"MAX_POOL_2D", kTfLiteBuiltinMaxPool2d, 0, eq_check_pool2d, max_create};

/* ---------------- MEAN ---------------- */
#define MEAN_MAX_RANK EQ_MEAN_MAX_RANK


static int mean_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *axis = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  int reduced[MEAN_MAX_RANK];
  eq_mean_axes(in, axis, reduced);
  /* meta: n_kept, n_red, kept_dims[6], kept_strides[6], red_dims[6], red_strides[6] */
  cl_int meta[26] = {0};
  const int rank = eq_rank(in);
  cl_int stride[MEAN_MAX_RANK];
  cl_int s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    stride[i] = s;
    s *= eq_dim(in, i);
  }
  int64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    if (reduced[i]) {
      meta[14 + meta[1]] = eq_dim(in, i);
      meta[20 + meta[1]] = stride[i];
      meta[1]++;
      count *= eq_dim(in, i);
    } else {
      meta[2 + meta[0]] = eq_dim(in, i);
      meta[8 + meta[0]] = stride[i];
      meta[0]++;
    }
  }
  /* reduce.cc: 1/count folded into the multiplier, shift clamped as the reference */
  int32_t m;
  int sh;
  eq_quantize_multiplier((double)in->params.scale / (double)out->params.scale, &m, &sh);
  int shift = 63 - __builtin_clzll((unsigned long long)count);
  if (shift > 32) shift = 32;
  if (shift > 31 + sh) shift = 31 + sh;
  cl_int mult = (cl_int)(((int64_t)m << shift) / count), out_shift = sh - shift;
  cl_int cnt = (cl_int)count, in_zp = in->params.zero_point, out_zp = out->params.zero_point;
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(mm),     EQG_ARG(cnt),
                          EQG_ARG(in_zp),  EQG_ARG(out_zp),  EQG_ARG(mult),   EQG_ARG(out_shift)};
  return eqg_add_launch(dev, plan, "mean_qs8", 1, eq_numel(out), 1, args, NARGS(args), (double)eq_numel(in), err,
                        errlen);
}

const eqg_op_kind eqg_op_mean = {"MEAN", kTfLiteBuiltinMean, 0x2, eq_check_mean, mean_create};

/* ---------------- SOFTMAX ---------------- */
enum { kScaledDiffIntegerBits = 5 };


static int softmax_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteSoftmaxParams* p = (const TfLiteSoftmaxParams*)node->builtin_data;
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  cl_int depth = eq_dim(in, eq_rank(in) - 1);
  const size_t outer = depth ? eq_numel(in) / (size_t)depth : 0;
  /* PreprocessSoftmaxScaling + CalculateInputRadius (quantization_util.cc) */
  double real = (double)p->beta * (double)in->params.scale * (double)(1LL << (31 - kScaledDiffIntegerBits));
  if (real > (double)((1LL << 31) - 1)) real = (double)((1LL << 31) - 1);
  int32_t input_multiplier;
  int ls;
  eq_quantize_multiplier(real, &input_multiplier, &ls);
  const double max_input_rescaled = 1.0 * ((1 << kScaledDiffIntegerBits) - 1) *
                                    (double)(1LL << (31 - kScaledDiffIntegerBits)) / (double)(1LL << ls);
  cl_int diff_min = (cl_int)(-1.0 * (double)(int)floor(max_input_rescaled)), left_shift = ls;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(depth), EQG_ARG(input_multiplier),
                          EQG_ARG(left_shift), EQG_ARG(diff_min)};
  return eqg_add_launch(dev, plan, "softmax_qs8", 1, outer, 1, args, NARGS(args), (double)eq_numel(in), err, errlen);
}

const eqg_op_kind eqg_op_softmax = {"SOFTMAX", kTfLiteBuiltinSoftmax, 0, eq_check_softmax, softmax_create};
