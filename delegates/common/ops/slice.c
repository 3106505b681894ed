/* SLICE: what the delegates support (int8, constant begin and size). The reference kernel moves
 * bytes and never requantizes. */
#include "ops.h"

#include "tensor.h"

static int64_t at(const TfLiteTensor* t, int i) { return t->type == kTfLiteInt64 ? t->data.i64[i] : t->data.i32[i]; }

int eq_slice_bounds(TfLiteContext* ctx, const TfLiteNode* node, int* begin, int* size) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *s = eq_in(ctx, node, 2);
  const int rank = eq_rank(in);
  if (!b || !s || rank < 1 || rank > EQ_SLICE_MAX_RANK) return -1;
  for (const TfLiteTensor* t = b; t; t = t == b ? s : NULL) {
    if ((t->type != kTfLiteInt32 && t->type != kTfLiteInt64) || !eq_is_const(t) || !t->data.raw) return -1;
    if (eq_numel(t) != (size_t)rank) return -1;
  }
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = eq_dim(in, d), b0 = at(b, d), s0 = at(s, d);
    const int64_t n = s0 == -1 ? dim - b0 : s0;
    if (b0 < 0 || n < 0 || b0 + n > dim) return -1;
    begin[d] = (int)b0;
    size[d] = (int)n;
  }
  return 0;
}

const char* eq_check_slice(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out || node->inputs->size != 3) return "unexpected arity";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  int begin[EQ_SLICE_MAX_RANK], size[EQ_SLICE_MAX_RANK];
  if (eq_slice_bounds(ctx, node, begin, size)) return "begin / size not constant, in range, rank <= 5";
  if (eq_rank(out) != eq_rank(in)) return "output rank differs";
  for (int d = 0; d < eq_rank(in); ++d)
    if (eq_dim(out, d) != size[d]) return "output shape does not match the size";
  return NULL;
}
