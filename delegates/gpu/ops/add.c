/* ADD and SUB on the GPU, with broadcasting: add.cc's Prepare-time rescaling (common/ops/add.c) on
 * the host, the per-element integer math in the kernel. SUB is ADD with the second input's
 * multiplier negated (sub.cc); SQUARED_DIFFERENCE the shared 256 x 256 table of both input bytes. */
#include <stdlib.h>

#include "gpu_op.h"

static int add_sub_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                          cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen, int negate_b) {
  size_t total = 0;
  cl_mem mm = eqg_upload_bcast(dev, plan, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0), &total,
                               err, errlen);
  if (!mm) return -1;
  qs8_add_params p;
  eq_add_prepare(ctx, node, &p);
  if (negate_b) p.b_mult = -p.b_mult;
  const eqg_arg args[] = {EQG_ARG(inb[0]),    EQG_ARG(inb[1]),     EQG_ARG(outb[0]),    EQG_ARG(mm),
                          EQG_ARG(p.a_offset), EQG_ARG(p.b_offset), EQG_ARG(p.out_zp),   EQG_ARG(p.a_mult),
                          EQG_ARG(p.a_shift),  EQG_ARG(p.b_mult),   EQG_ARG(p.b_shift),  EQG_ARG(p.out_mult),
                          EQG_ARG(p.out_shift), EQG_ARG(p.left_shift), EQG_ARG(p.out_min), EQG_ARG(p.out_max)};
  return eqg_add_launch(dev, plan, "add_qs8", 1, total, 1, args, EQG_NARGS(args), (double)total, err, errlen);
}

static int add_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return add_sub_create(dev, ctx, node, inb, outb, plan, err, errlen, 0);
}

static int sub_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return add_sub_create(dev, ctx, node, inb, outb, plan, err, errlen, 1);
}

int eqg_add_table2(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* ta, const TfLiteTensor* tb,
                   const TfLiteTensor* tout, cl_mem a, cl_mem b, cl_mem out, const int8_t* table, char* err,
                   size_t errlen) {
  size_t total = 0;
  cl_mem mm = eqg_upload_bcast(dev, plan, ta, tb, tout, &total, err, errlen);
  cl_mem t = mm ? eqg_upload(dev, plan, table, 65536, err, errlen) : NULL;
  if (!t) return -1;
  const eqg_arg args[] = {EQG_ARG(a), EQG_ARG(b), EQG_ARG(out), EQG_ARG(mm), EQG_ARG(t)};
  return eqg_add_launch(dev, plan, "table2_s8", 1, total, 1, args, EQG_NARGS(args), (double)total, err, errlen);
}

static int sqdiff_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                         cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  size_t total = 0;
  cl_mem mm = eqg_upload_bcast(dev, plan, eq_in(ctx, node, 0), eq_in(ctx, node, 1), eq_out(ctx, node, 0), &total,
                               err, errlen);
  int8_t* table = mm ? malloc(65536) : NULL;
  if (!table) return -1;
  eq_squared_difference_table(ctx, node, table);
  cl_mem t = eqg_upload(dev, plan, table, 65536, err, errlen);
  free(table);
  if (!t) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(inb[1]), EQG_ARG(outb[0]), EQG_ARG(mm), EQG_ARG(t)};
  return eqg_add_launch(dev, plan, "table2_s8", 1, total, 1, args, EQG_NARGS(args), (double)total, err, errlen);
}

const eqg_op_kind eqg_op_add = {{"ADD", kTfLiteBuiltinAdd, eq_check_add}, 0, add_create};
const eqg_op_kind eqg_op_sub = {{"SUB", kTfLiteBuiltinSub, eq_check_add}, 0, sub_create};
const eqg_op_kind eqg_op_squared_difference = {
    {"SQUARED_DIFFERENCE", kTfLiteBuiltinSquaredDifference, eq_check_squared_difference}, 0, sqdiff_create};
