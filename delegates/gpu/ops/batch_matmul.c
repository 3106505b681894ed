/* BATCH_MATMUL on the GPU (int8, broadcasting batch dims, adj_x / adj_y): batch_matmul.cc's
 * Prepare-time multiplier (common/ops/batch_matmul.c) on the host, one output per work item. */
#include "gpu_op.h"

static int bmm_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                      cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_bmm_params p;
  eq_batch_matmul_prepare(ctx, node, &p);
  /* batch dims right-aligned into 3 */
  cl_int meta[9];
  const int nb = p.rank - 2, skip = 3 - nb;
  long rows = 1, sa = (long)p.m * p.k, sb = (long)p.k * p.n;
  for (int d = 2; d >= 0; --d) {
    const int s = d - skip;
    const int ad = s < 0 ? 1 : p.a_batch[s], bd = s < 0 ? 1 : p.b_batch[s];
    meta[d] = ad > bd ? ad : bd;
    meta[3 + d] = ad > 1 ? (cl_int)sa : 0;
    meta[6 + d] = bd > 1 ? (cl_int)sb : 0;
    sa *= ad;
    sb *= bd;
    rows *= meta[d];
  }
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const cl_int m = p.m, n = p.n, k = p.k, ax = p.adj_x, ay = p.adj_y, shift = p.shift;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(inb[1]), EQG_ARG(outb[0]), EQG_ARG(mm),       EQG_ARG(m),
                          EQG_ARG(n),      EQG_ARG(k),      EQG_ARG(ax),      EQG_ARG(ay),       EQG_ARG(p.a_zp),
                          EQG_ARG(p.b_zp), EQG_ARG(p.out_zp), EQG_ARG(p.mult), EQG_ARG(shift)};
  return eqg_add_launch(dev, plan, "batch_matmul_qs8", 2, (size_t)n, (size_t)(rows * m), args, EQG_NARGS(args),
                        2.0 * (double)rows * m * n * k, err, errlen);
}

const eqg_op_kind eqg_op_batch_matmul = {{"BATCH_MATMUL", kTfLiteBuiltinBatchMatmul, eq_check_batch_matmul}, 0,
                                         bmm_create};
