/* MEAN on the GPU over constant axes: reduce.cc's folded multiplier (common/ops/mean.c) on the
 * host; the kernel sums each output's inputs and requantizes once. */
#include "gpu_op.h"

#include "fuse.h"

static int mean_create(eqg_device* dev, TfLiteContext* ctx, const TfLiteNode* node, cl_mem const* inb,
                       cl_mem const* outb, eqg_node_plan* plan, char* err, size_t errlen) {
  eq_mean_params p;
  eq_mean_prepare(ctx, node, &p);
  /* meta: n_kept, n_red, kept_dims[6], kept_strides[6], red_dims[6], red_strides[6] */
  cl_int meta[26] = {0};
  cl_int stride[EQ_MEAN_MAX_RANK];
  cl_int s = 1;
  for (int i = p.rank - 1; i >= 0; --i) {
    stride[i] = s;
    s *= p.dims[i];
  }
  for (int i = 0; i < p.rank; ++i) {
    if (p.reduced[i]) {
      meta[14 + meta[1]] = p.dims[i];
      meta[20 + meta[1]] = stride[i];
      meta[1]++;
    } else {
      meta[2 + meta[0]] = p.dims[i];
      meta[8 + meta[0]] = stride[i];
      meta[0]++;
    }
  }
  cl_int cnt = (cl_int)p.count, out_shift = p.shift;
  cl_mem mm = eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
  if (!mm) return -1;
  const eqg_arg args[] = {EQG_ARG(inb[0]), EQG_ARG(outb[0]), EQG_ARG(mm),     EQG_ARG(cnt),
                          EQG_ARG(p.in_zp), EQG_ARG(p.out_zp), EQG_ARG(p.mult), EQG_ARG(out_shift)};
  /* one work group of 64 lanes per output (EQ_MEAN_WG in qs8.cl) */
  if (eqg_add_launch(dev, plan, "mean_qs8", 1, (size_t)eq_numel(eq_out(ctx, node, 0)) * 64, 1, args,
                     EQG_NARGS(args), (double)eq_numel(eq_in(ctx, node, 0)), err, errlen))
    return -1;
  eqg_set_local_size(plan, 64, 1);
  return 0;
}

int eqg_add_rowprog(eqg_device* dev, eqg_node_plan* plan, const eqg_rowprog* r, cl_mem x, cl_mem y, char* err,
                    size_t errlen) {
  cl_mem prog = eqg_upload(dev, plan, r->step, sizeof(r->step[0]) * (size_t)r->n_steps, err, errlen);
  cl_mem tab = prog ? eqg_upload(dev, plan, r->tables, r->tables_bytes ? r->tables_bytes : 1, err, errlen) : NULL;
  cl_mem kc = tab ? eqg_upload(dev, plan, r->kconst, r->kconst_bytes, err, errlen) : NULL;
  if (!kc) return -1;
  const cl_int n_steps = r->n_steps, cn = r->c;
  const eqg_arg args[] = {EQG_ARG(x), EQG_ARG(y), EQG_ARG(prog), EQG_ARG(n_steps), EQG_ARG(cn), EQG_ARG(tab),
                          EQG_ARG(kc)};
  /* lanes per row: about 3-6 elements each, 32..128 (a power of two: the MEAN's tree) */
  const size_t lanes = r->c <= 128 ? 32 : r->c <= 256 ? 64 : 128;
  if (eqg_add_launch(dev, plan, "rownorm_qs8", 1, (size_t)r->rows * lanes, 1, args, EQG_NARGS(args),
                     (double)r->rows * r->c * r->n_ops, err, errlen))
    return -1;
  eqg_set_local_size(plan, lanes, 1);
  return 0;
}

const eqg_op_kind eqg_op_mean = {{"MEAN", kTfLiteBuiltinMean, eq_check_mean}, 0x2, mean_create};
