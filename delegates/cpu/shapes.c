/* Output shape inference for the CPU delegate's ops (see shapes.h). */
#include "shapes.h"

#include <string.h>

#include "ops.h"
#include "tensor.h"

static int copy_dims(const TfLiteTensor* t, int* dims) {
  const int r = eq_rank(t);
  for (int i = 0; i < r; ++i) dims[i] = eq_dim(t, i);
  return r;
}

/* TFLite's ComputeOutSize. */
static int out_size(TfLitePadding padding, int in, int filter, int stride, int dilation) {
  const int eff = (filter - 1) * dilation + 1;
  if (stride <= 0) return -1;
  return padding == kTfLitePaddingSame ? (in + stride - 1) / stride : (in + stride - eff) / stride;
}

static const char* spatial(const TfLiteTensor* in, TfLitePadding pad, int kh, int kw, int sh, int sw, int dh, int dw,
                           int out_c, int* dims, int* rank) {
  if (eq_rank(in) != 4) return "input is not 4-D";
  dims[0] = eq_dim(in, 0);
  dims[1] = out_size(pad, eq_dim(in, 1), kh, sh, dh);
  dims[2] = out_size(pad, eq_dim(in, 2), kw, sw, dw);
  dims[3] = out_c;
  *rank = 4;
  return dims[1] > 0 && dims[2] > 0 ? NULL : "input smaller than the filter";
}

static const char* broadcast(const TfLiteTensor* a, const TfLiteTensor* b, int* dims, int* rank) {
  const int ra = eq_rank(a), rb = eq_rank(b), r = ra > rb ? ra : rb;
  if (r > EQ_SHAPE_MAX_RANK) return "rank too large";
  for (int i = 0; i < r; ++i) {
    const int da = i < r - ra ? 1 : eq_dim(a, i - (r - ra));
    const int db = i < r - rb ? 1 : eq_dim(b, i - (r - rb));
    if (da != db && da != 1 && db != 1) return "inputs do not broadcast";
    dims[i] = da == 1 ? db : da;
  }
  *rank = r;
  return NULL;
}

static const char* reshape(TfLiteContext* ctx, const TfLiteNode* node, int* dims, int* rank) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *shape = eq_in(ctx, node, 1);
  const TfLiteReshapeParams* p = (const TfLiteReshapeParams*)node->builtin_data;
  int r = 0;
  if (shape && eq_rank(shape) == 1 && shape->type == kTfLiteInt32 && shape->data.raw) {
    r = eq_dim(shape, 0);
    if (r > EQ_SHAPE_MAX_RANK) return "rank too large";
    for (int i = 0; i < r; ++i) dims[i] = shape->data.i32[i];
  } else if (p) {
    r = p->num_dimensions;
    if (r < 0 || r > 8) return "rank too large";
    for (int i = 0; i < r; ++i) dims[i] = p->shape[i];
  } else {
    return "no target shape";
  }
  size_t known = 1;
  int unknown = -1;
  for (int i = 0; i < r; ++i) {
    if (dims[i] == -1 && unknown < 0) unknown = i;
    else if (dims[i] < 0) return "invalid target shape";
    else known *= (size_t)dims[i];
  }
  const size_t n = eq_numel(in);
  if (unknown >= 0) {
    if (known == 0 || n % known) return "input size does not fit the target shape";
    dims[unknown] = (int)(n / known);
  } else if (known != n) {
    return "a fixed target shape does not hold the resized input";
  }
  *rank = r;
  return NULL;
}

const char* eq_cpu_output_shape(TfLiteContext* ctx, int code, const TfLiteNode* node, int* dims, int* rank) {
  const TfLiteTensor* in = eq_in(ctx, node, 0);
  if (!in || eq_rank(in) > EQ_SHAPE_MAX_RANK) return "missing or high-rank input";
  switch (code) {
    case kTfLiteBuiltinConv2d: {
      const TfLiteConvParams* p = node->builtin_data;
      const TfLiteTensor* w = eq_in(ctx, node, 1);
      return spatial(in, p->padding, eq_dim(w, 1), eq_dim(w, 2), p->stride_height, p->stride_width,
                     p->dilation_height_factor, p->dilation_width_factor, eq_dim(w, 0), dims, rank);
    }
    case kTfLiteBuiltinDepthwiseConv2d: {
      const TfLiteDepthwiseConvParams* p = node->builtin_data;
      const TfLiteTensor* w = eq_in(ctx, node, 1);
      return spatial(in, p->padding, eq_dim(w, 1), eq_dim(w, 2), p->stride_height, p->stride_width,
                     p->dilation_height_factor, p->dilation_width_factor, eq_dim(w, 3), dims, rank);
    }
    case kTfLiteBuiltinAveragePool2d:
    case kTfLiteBuiltinMaxPool2d: {
      const TfLitePoolParams* p = node->builtin_data;
      return spatial(in, p->padding, p->filter_height, p->filter_width, p->stride_height, p->stride_width, 1, 1,
                     eq_rank(in) == 4 ? eq_dim(in, 3) : 0, dims, rank);
    }
    case kTfLiteBuiltinFullyConnected: {
      const TfLiteFullyConnectedParams* p = node->builtin_data;
      const TfLiteTensor* w = eq_in(ctx, node, 1);
      const int n = eq_dim(w, 0), k = eq_dim(w, 1);
      if (k <= 0 || eq_numel(in) % (size_t)k) return "input size is not a multiple of the weight depth";
      if (p->keep_num_dims) {
        *rank = copy_dims(in, dims);
        if (*rank < 1 || dims[*rank - 1] != k) return "last input dimension is not the weight depth";
        dims[*rank - 1] = n;
      } else {
        dims[0] = (int)(eq_numel(in) / (size_t)k);
        dims[1] = n;
        *rank = 2;
      }
      return NULL;
    }
    case kTfLiteBuiltinAdd:
    case kTfLiteBuiltinMul:
    case kTfLiteBuiltinSub:
    case kTfLiteBuiltinPrelu:
    case kTfLiteBuiltinSquaredDifference:
      return broadcast(in, eq_in(ctx, node, 1), dims, rank);
    case kTfLiteBuiltinMean: {
      const TfLiteReducerParams* p = node->builtin_data;
      int reduced[EQ_MEAN_MAX_RANK];
      if (eq_rank(in) > EQ_MEAN_MAX_RANK || eq_mean_axes(in, eq_in(ctx, node, 1), reduced)) return "axis out of range";
      int r = 0;
      for (int i = 0; i < eq_rank(in); ++i) {
        if (!reduced[i]) dims[r++] = eq_dim(in, i);
        else if (p->keep_dims) dims[r++] = 1;
      }
      *rank = r;
      return NULL;
    }
    case kTfLiteBuiltinReshape:
      return reshape(ctx, node, dims, rank);
    case kTfLiteBuiltinConcatenation: {
      const TfLiteConcatenationParams* p = node->builtin_data;
      const int r = copy_dims(in, dims);
      const int axis = p->axis < 0 ? p->axis + r : p->axis;
      if (axis < 0 || axis >= r) return "axis out of range";
      dims[axis] = 0;
      for (int i = 0; i < node->inputs->size; ++i) {
        const TfLiteTensor* t = eq_in(ctx, node, i);
        if (!t || eq_rank(t) != r) return "rank mismatch";
        for (int d = 0; d < r; ++d)
          if (d != axis && eq_dim(t, d) != dims[d]) return "inputs do not match off the axis";
        dims[axis] += eq_dim(t, axis);
      }
      *rank = r;
      return NULL;
    }
    case kTfLiteBuiltinPad: {
      const TfLiteTensor* pads = eq_in(ctx, node, 1);
      const int r = copy_dims(in, dims);
      if (eq_numel(pads) != (size_t)r * 2) return "paddings shape mismatch";
      for (int d = 0; d < r; ++d) dims[d] += (int)(eq_pad_amount(pads, 2 * d) + eq_pad_amount(pads, 2 * d + 1));
      *rank = r;
      return NULL;
    }
    case kTfLiteBuiltinTranspose: {
      const int r = eq_rank(in);
      int perm[EQ_TRANSPOSE_MAX_RANK];
      if (r > EQ_TRANSPOSE_MAX_RANK || eq_transpose_perm(eq_in(ctx, node, 1), r, perm)) return "bad permutation";
      for (int i = 0; i < r; ++i) dims[i] = eq_dim(in, perm[i]);
      *rank = r;
      return NULL;
    }
    case kTfLiteBuiltinResizeBilinear: {
      int h, w;
      if (eq_rank(in) != 4 || eq_resize_bilinear_size(ctx, node, &h, &w)) return "size not constant";
      copy_dims(in, dims);
      dims[1] = h;
      dims[2] = w;
      *rank = 4;
      return NULL;
    }
    case kTfLiteBuiltinSlice: {
      int begin[EQ_SLICE_MAX_RANK];
      if (eq_slice_bounds(ctx, node, begin, dims)) return "slice out of range";
      *rank = eq_rank(in);
      return NULL;
    }
    case kTfLiteBuiltinBatchMatmul: {
      const TfLiteTensor* b = eq_in(ctx, node, 1);
      const TfLiteBatchMatMulParams* p = node->builtin_data;
      const int ra = eq_rank(in), rb = eq_rank(b), r = ra > rb ? ra : rb;
      if (ra < 2 || rb < 2 || r > EQ_BMM_MAX_RANK) return "rank not supported";
      if (eq_dim(in, ra - (p->adj_x ? 2 : 1)) != eq_dim(b, rb - (p->adj_y ? 1 : 2))) return "inner dimensions differ";
      for (int d = 0; d < r - 2; ++d) {
        const int da = d - (r - ra) >= 0 ? eq_dim(in, d - (r - ra)) : 1;
        const int db = d - (r - rb) >= 0 ? eq_dim(b, d - (r - rb)) : 1;
        if (da != db && da != 1 && db != 1) return "batch dimensions do not broadcast";
        dims[d] = da > db ? da : db;
      }
      dims[r - 2] = eq_dim(in, ra - (p->adj_x ? 1 : 2));
      dims[r - 1] = eq_dim(b, rb - (p->adj_y ? 2 : 1));
      *rank = r;
      return NULL;
    }
    default: /* elementwise: SOFTMAX, LOGISTIC, HARD_SWISH, TANH, QUANTIZE, DEQUANTIZE, ... */
      *rank = copy_dims(in, dims);
      return NULL;
  }
}
