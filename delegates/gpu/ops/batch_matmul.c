/* BATCH_MATMUL on the GPU (int8, broadcasting batch dims, adj_x / adj_y): batch_matmul.cc's
 * Prepare-time multiplier (common/ops/batch_matmul.c) on the host, one output per work item. An operand
 * may be read through a TRANSPOSE's permutation (gpu/fuse.h bmm_src): the strides of the TRANSPOSE's input
 * in its output's axis order. */
#include "gpu_op.h"

/* Element strides of operand t (rank r) along its axes: contiguous, or through perm from src. */
static void operand_strides(const TfLiteTensor* t, const TfLiteTensor* src, const int* perm, long* st) {
  const int r = eq_rank(t);
  long s = 1;
  long in_st[EQ_BMM_MAX_RANK];
  const TfLiteTensor* base = src ? src : t;
  for (int d = eq_rank(base) - 1; d >= 0; --d) {
    in_st[d] = s;
    s *= eq_dim(base, d);
  }
  for (int d = 0; d < r; ++d) st[d] = src ? in_st[perm[d]] : in_st[d];
}

int eqg_bmm_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb, cl_mem const* outb,
                   eqg_node_plan* plan, const TfLiteTensor* const* src, const int* const* perm,
                   const TfLiteTensor* dst, const int* dst_perm, char* err, size_t errlen) {
  eq_bmm_params p;
  eq_batch_matmul_prepare(ctx, node, &p);
  const TfLiteTensor *ta = eq_in(ctx, node, 0), *tb = eq_in(ctx, node, 1);
  const int ra = eq_rank(ta), rb = eq_rank(tb);
  long sta[EQ_BMM_MAX_RANK], stb[EQ_BMM_MAX_RANK];
  operand_strides(ta, src ? src[0] : NULL, perm ? perm[0] : NULL, sta);
  operand_strides(tb, src ? src[1] : NULL, perm ? perm[1] : NULL, stb);
  /* batch dims right-aligned into 3 */
  /* the output: contiguous, or stored through a TRANSPOSE's permutation into dst (its axis d is ours dst_perm[d]) */
  const TfLiteTensor* to = eq_out(ctx, node, 0);
  const int ro = eq_rank(to);
  long sto[EQ_BMM_MAX_RANK], dst_st[EQ_BMM_MAX_RANK];
  operand_strides(to, NULL, NULL, sto);
  if (dst) {
    operand_strides(dst, NULL, NULL, dst_st);
    for (int d = 0; d < ro; ++d) sto[dst_perm[d]] = dst_st[d];
  }
  cl_int meta[18];
  const int nb = p.rank - 2, skip = 3 - nb;
  long rows = 1;
  for (int d = 2; d >= 0; --d) {
    const int s = d - skip;
    const int ad = s < 0 ? 1 : p.a_batch[s], bd = s < 0 ? 1 : p.b_batch[s];
    const int sa_axis = s - (p.rank - ra), sb_axis = s - (p.rank - rb);
    meta[d] = ad > bd ? ad : bd;
    meta[3 + d] = ad > 1 && sa_axis >= 0 ? (cl_int)sta[sa_axis] : 0;
    meta[6 + d] = bd > 1 && sb_axis >= 0 ? (cl_int)stb[sb_axis] : 0;
    meta[13 + d] = s >= 0 && s - (p.rank - ro) >= 0 ? (cl_int)sto[s - (p.rank - ro)] : 0;
    rows *= meta[d];
  }
  meta[9] = (cl_int)sta[ra - (p.adj_x ? 1 : 2)];  /* a along m */
  meta[10] = (cl_int)sta[ra - (p.adj_x ? 2 : 1)]; /* a along k */
  meta[11] = (cl_int)stb[rb - (p.adj_y ? 1 : 2)]; /* b along k */
  meta[12] = (cl_int)stb[rb - (p.adj_y ? 2 : 1)]; /* b along n */
  meta[16] = (cl_int)sto[ro - 2];                  /* out along m */
  meta[17] = (cl_int)sto[ro - 1];                  /* out along n */
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const cl_int m = p.m, n = p.n, k = p.k, shift = p.shift;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(inb[1]), EQG_ARG(outb[0]), EQG_ARG(mm),       EQG_ARG(m),
                          EQG_ARG(n),      EQG_ARG(k),      EQG_ARG(p.a_zp), EQG_ARG(p.b_zp),    EQG_ARG(p.out_zp),
                          EQG_ARG(p.mult), EQG_ARG(shift)};
  return eqg_add_launch(dev, plan, "batch_matmul_qs8", 2, (size_t)n, (size_t)(rows * m), args, EQG_NARGS(args),
                        2.0 * (double)rows * m * n * k, err, errlen);
}

static int bmm_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  return eqg_bmm_create(dev, ctx, node, inb, outb, plan, NULL, NULL, NULL, NULL, err, errlen);
}

const eqg_op_kind eqg_op_batch_matmul = {{"BATCH_MATMUL", kTfLiteBuiltinBatchMatmul, eq_check_batch_matmul}, 0,
                                         bmm_create};
