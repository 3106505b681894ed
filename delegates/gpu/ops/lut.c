/* LOGISTIC, HARD_SWISH, GELU and RSQRT on the GPU: the reference arithmetic as the shared 256-entry
 * table (common/ops/logistic.c, hard_swish.c, gelu.c, rsqrt.c), uploaded once and looked up per element. */
#include "gpu_op.h"

int eqg_add_lut(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem out, size_t numel, const int8_t table[256],
                char* err, size_t errlen) {
  cl_mem t = eqg_upload(dev, plan, table, 256, err, errlen);
  if (!t) return -1;
  const cl_int n = (cl_int)numel;
  const eqg_arg args[] = {EQG_ARG(in), EQG_ARG(out), EQG_ARG(t), EQG_ARG(n)};
  return eqg_add_launch(dev, plan, "lut_s8", 1, ((size_t)n + 3) / 4, 1, args, EQG_NARGS(args), (double)n, err,
                        errlen);
}

static int lut_create(eqg_device* dev, const TfLiteTensor* in, const TfLiteTensor* out, const int8_t lut[256],
                      cl_mem const* inb, cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  (void)out;
  return eqg_add_lut(dev, plan, inb[0], outb[0], eq_numel(in), lut, err, errlen);
}

static int logistic_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                           cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  int8_t lut[256];
  eq_logistic_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut);
  return lut_create(dev, eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut, inb, outb, plan, err, errlen);
}

static int hard_swish_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                             cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  int8_t lut[256];
  eq_hard_swish_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut);
  return lut_create(dev, eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut, inb, outb, plan, err, errlen);
}

int eqg_swish_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* logistic, const TfLiteNode* mul,
                     cl_mem x, cl_mem y, eqg_node_plan* plan, char* err, size_t errlen) {
  int8_t table[256];
  eq_swish_lut(ctx, logistic, mul, table);
  const cl_mem in[1] = {x}, out[1] = {y};
  return lut_create(dev, eq_in(ctx, logistic, 0), eq_out(ctx, mul, 0), table, in, out, plan, err, errlen);
}

static int gelu_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  int8_t lut[256];
  const TfLiteGeluParams* p = (const TfLiteGeluParams*)node->builtin_data;
  eq_gelu_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), p ? p->approximate : 0, lut);
  return lut_create(dev, eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut, inb, outb, plan, err, errlen);
}

static int rsqrt_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                        cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  int8_t lut[256];
  eq_rsqrt_lut(eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut);
  return lut_create(dev, eq_in(ctx, node, 0), eq_out(ctx, node, 0), lut, inb, outb, plan, err, errlen);
}

int eqg_lut_table(TfLiteContext* ctx, const TfLiteNode* node, int code, int8_t lut[256]) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  switch (code) {
    case kTfLiteBuiltinLogistic: eq_logistic_lut(in, out, lut); return 0;
    case kTfLiteBuiltinHardSwish: eq_hard_swish_lut(in, out, lut); return 0;
    case kTfLiteBuiltinRsqrt: eq_rsqrt_lut(in, out, lut); return 0;
    case kTfLiteBuiltinGelu: {
      const TfLiteGeluParams* p = (const TfLiteGeluParams*)node->builtin_data;
      eq_gelu_lut(in, out, p ? p->approximate : 0, lut);
      return 0;
    }
    default: return -1;
  }
}

const eqg_op_kind eqg_op_gelu = {{"GELU", kTfLiteBuiltinGelu, eq_check_gelu}, 0, gelu_create};
const eqg_op_kind eqg_op_rsqrt = {{"RSQRT", kTfLiteBuiltinRsqrt, eq_check_rsqrt}, 0, rsqrt_create};
const eqg_op_kind eqg_op_logistic = {{"LOGISTIC", kTfLiteBuiltinLogistic, eq_check_logistic}, 0, logistic_create};
const eqg_op_kind eqg_op_hard_swish = {{"HARD_SWISH", kTfLiteBuiltinHardSwish, eq_check_hard_swish}, 0,
                                       hard_swish_create};
