/* BATCH_MATMUL: what the delegates support (int8 per-tensor operands, batch dimensions that
 * broadcast), and batch_matmul.cc's Prepare: one multiplier lhs_scale * rhs_scale / out_scale
 * (GetQuantizedConvolutionMultipler: float scales promoted to double), no activation. */
#include "ops.h"

#include "base/requant.h"
#include "tensor.h"

const char* eq_check_batch_matmul(TfLiteContext* ctx, const TfLiteNode* node) {
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  if (!node->builtin_data || !a || !b || !out || node->inputs->size != 2) return "unexpected arity";
  if (!eq_is_qs8(a) || !eq_is_qs8(b) || !eq_is_qs8(out)) return "operands are not per-tensor int8";
  const int ra = eq_rank(a), rb = eq_rank(b), ro = eq_rank(out);
  if (ra < 2 || rb < 2 || ra > EQ_BMM_MAX_RANK || rb > EQ_BMM_MAX_RANK) return "rank not supported (2..5)";
  eq_bmm_params p;
  eq_batch_matmul_prepare(ctx, node, &p);
  if (p.k != (eq_dim(b, rb - 2 + (p.adj_y ? 1 : 0))) || p.k <= 0) return "inner dimensions differ";
  const int rmax = ra > rb ? ra : rb;
  if (ro != rmax) return "output rank does not match";
  for (int d = 0; d < rmax - 2; ++d) {
    const int da = d - (rmax - ra) >= 0 ? eq_dim(a, d - (rmax - ra)) : 1;
    const int db = d - (rmax - rb) >= 0 ? eq_dim(b, d - (rmax - rb)) : 1;
    if (da != db && da != 1 && db != 1) return "batch dimensions do not broadcast";
    if (eq_dim(out, d) != (da > db ? da : db)) return "output batch shape does not match";
  }
  if (eq_dim(out, ro - 2) != p.m || eq_dim(out, ro - 1) != p.n) return "output shape does not match";
  if (p.shift >= 32) return EQ_SHIFT_TOO_LARGE;
  return NULL;
}

void eq_batch_matmul_prepare(TfLiteContext* ctx, const TfLiteNode* node, eq_bmm_params* p) {
  const TfLiteBatchMatMulParams* bp = (const TfLiteBatchMatMulParams*)node->builtin_data;
  const TfLiteTensor *a = eq_in(ctx, node, 0), *b = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  const int ra = eq_rank(a), rb = eq_rank(b);
  p->adj_x = bp->adj_x;
  p->adj_y = bp->adj_y;
  p->m = eq_dim(a, ra - (p->adj_x ? 1 : 2));
  p->k = eq_dim(a, ra - (p->adj_x ? 2 : 1));
  p->n = eq_dim(b, rb - (p->adj_y ? 2 : 1));
  p->rank = ra > rb ? ra : rb;
  for (int d = 0; d < p->rank - 2; ++d) {
    p->a_batch[d] = d - (p->rank - ra) >= 0 ? eq_dim(a, d - (p->rank - ra)) : 1;
    p->b_batch[d] = d - (p->rank - rb) >= 0 ? eq_dim(b, d - (p->rank - rb)) : 1;
  }
  p->a_zp = a->params.zero_point;
  p->b_zp = b->params.zero_point;
  p->out_zp = out->params.zero_point;
  const double real = (double)a->params.scale * (double)b->params.scale / (double)out->params.scale;
  eq_quantize_multiplier(real, &p->mult, &p->shift);
}
