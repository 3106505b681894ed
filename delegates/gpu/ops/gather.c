/* PAD and TRANSPOSE on the GPU: pure data movement (the reference kernels never requantize),
 * one gather kernel over the output with per-axis offsets and strides. PAD fills with the
 * output zero point, as pad.cc does without constant values. */
#include <stdio.h>

#include "gpu_op.h"

enum { EQG_GATHER_RANK = 6 };

/* meta[24] for rank r: axes right-aligned, leading axes of extent 1. */
static int gather_launch(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* out, const int* lo,
                         const int* extent, const int* stride, int rank, int fill, cl_mem in, cl_mem o, char* err,
                         size_t errlen) {
  int32_t meta[4 * EQG_GATHER_RANK];
  const int skip = EQG_GATHER_RANK - rank;
  for (int d = 0; d < EQG_GATHER_RANK; ++d) {
    const int s = d - skip;
    meta[d] = s < 0 ? 1 : eq_dim(out, s);
    meta[EQG_GATHER_RANK + d] = s < 0 ? 0 : lo[s];
    meta[2 * EQG_GATHER_RANK + d] = s < 0 ? 1 : extent[s];
    meta[3 * EQG_GATHER_RANK + d] = s < 0 ? 0 : stride[s];
  }
  cl_mem m = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!m) return -1;
  const cl_int n = (cl_int)eq_numel(out), f = fill;
  const eqg_arg args[] = {EQG_ARG(in), EQG_ARG(o), EQG_ARG(m), EQG_ARG(f), EQG_ARG(n)};
  return eqg_add_launch(dev, plan, "gather_i8", 1, (size_t)n, 1, args, EQG_NARGS(args), 0.0, err, errlen);
}

static void strides_of(const TfLiteTensor* t, int rank, int* s) {
  int acc = 1;
  for (int d = rank - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= eq_dim(t, d);
  }
}

static int pad_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *pads = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  const int rank = eq_rank(in);
  int lo[EQG_GATHER_RANK], extent[EQG_GATHER_RANK], stride[EQG_GATHER_RANK];
  strides_of(in, rank, stride);
  for (int d = 0; d < rank; ++d) {
    lo[d] = (int)eq_pad_amount(pads, 2 * d);
    extent[d] = eq_dim(in, d);
  }
  return gather_launch(dev, plan, out, lo, extent, stride, rank, out->params.zero_point, inb[0], outb[0], err,
                       errlen);
}

static int transpose_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                            cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  const int rank = eq_rank(in);
  int perm[EQG_GATHER_RANK], lo[EQG_GATHER_RANK], extent[EQG_GATHER_RANK], in_stride[EQG_GATHER_RANK],
      stride[EQG_GATHER_RANK];
  if (eq_transpose_perm(eq_in(ctx, node, 1), rank, perm)) {
    snprintf(err, errlen, "TRANSPOSE permutation is not constant");
    return -1;
  }
  strides_of(in, rank, in_stride);
  for (int d = 0; d < rank; ++d) {
    lo[d] = 0;
    extent[d] = eq_dim(out, d);
    stride[d] = in_stride[perm[d]];
  }
  return gather_launch(dev, plan, out, lo, extent, stride, rank, 0, inb[0], outb[0], err, errlen);
}

const eqg_op_kind eqg_op_pad = {{"PAD", kTfLiteBuiltinPad, eq_check_pad}, 0x2, pad_create};
const eqg_op_kind eqg_op_transpose = {{"TRANSPOSE", kTfLiteBuiltinTranspose, eq_check_transpose}, 0x2,
                                      transpose_create};
