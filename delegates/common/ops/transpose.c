/* TRANSPOSE: what the delegates support (int8, constant permutation). The reference kernel moves
 * bytes and never requantizes, so neither does the delegate. */
#include "ops.h"

#include "tensor.h"

int eq_transpose_perm(const TfLiteTensor* perm, int rank, int* out) {
  if (!perm || perm->type != kTfLiteInt32 || !eq_is_const(perm) || !perm->data.raw) return -1;
  if (eq_numel(perm) != (size_t)rank) return -1;
  int seen = 0;
  for (int i = 0; i < rank; ++i) {
    int p = perm->data.i32[i];
    if (p < 0) p += rank; /* the reference accepts negative axes */
    if (p < 0 || p >= rank || (seen >> p & 1)) return -1;
    seen |= 1 << p;
    out[i] = p;
  }
  return 0;
}

const char* eq_check_transpose(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *in = eq_in(ctx, node, 0), *perm = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!in || !perm || !out || node->inputs->size != 2) return "unexpected arity";
  if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return "not int8";
  const int rank = eq_rank(in);
  if (rank < 1 || rank > EQ_TRANSPOSE_MAX_RANK || eq_rank(out) != rank) return "rank not supported (1..6)";
  int p[EQ_TRANSPOSE_MAX_RANK];
  if (eq_transpose_perm(perm, rank, p)) return "permutation is not a constant int32 permutation of the axes";
  for (int i = 0; i < rank; ++i)
    if (eq_dim(out, i) != eq_dim(in, p[i])) return "output shape does not match the permutation";
  return NULL;
}
