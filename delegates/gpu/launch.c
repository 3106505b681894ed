/* Helpers every GPU op's create() uses: kernel launches with bound arguments, work-group shapes,
 * constant uploads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "gpu_op.h"

int eqg_add_launch(eqg_device* dev, eqg_node_plan* plan, const char* name, cl_uint dims, size_t g0, size_t g1,
                   const eqg_arg* args, int nargs, double ops, char* err, size_t errlen) {
  if (plan->n_launch >= EQG_MAX_LAUNCH) {
    snprintf(err, errlen, "too many kernel launches for one node");
    return -1;
  }
  cl_int rc = CL_SUCCESS;
  cl_kernel k = dev->cl.CreateKernel(dev->program, name, &rc);
  if (!k) {
    snprintf(err, errlen, "cannot create kernel %s (%s)", name, eqg_cl_error(rc));
    return -1;
  }
  for (int i = 0; i < nargs; ++i) {
    rc = dev->cl.SetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
    if (rc != CL_SUCCESS) {
      snprintf(err, errlen, "cannot set argument %d of kernel %s (%s)", i, name, eqg_cl_error(rc));
      dev->cl.ReleaseKernel(k);
      return -1;
    }
  }
  /* conv / FC kernels end with an epilogue table and its flag: none unless eqg_plan_set_epilogue */
  static const char* const with_epilogue[] = {"conv2d_qs8",     "depthwise_qs8",  "fully_connected_qs8",
                                              "fully_connected_wg_qs8", "fc_gemv_qs8", "gemm_tiled_qs8", "gemm_splitk_requant_qs8",
                                              "batch_matmul_qs8"};
  int epi_arg = -1;
  for (size_t i = 0; i < sizeof(with_epilogue) / sizeof(with_epilogue[0]); ++i)
    if (!strcmp(name, with_epilogue[i])) epi_arg = nargs;
  if (epi_arg >= 0) {
    const cl_mem none = NULL;
    const cl_int off = 0;
    rc = dev->cl.SetKernelArg(k, (cl_uint)epi_arg, sizeof(none), &none);
    if (rc == CL_SUCCESS) rc = dev->cl.SetKernelArg(k, (cl_uint)epi_arg + 1, sizeof(none), &none);
    if (rc == CL_SUCCESS) rc = dev->cl.SetKernelArg(k, (cl_uint)epi_arg + 2, sizeof(off), &off);
    if (rc != CL_SUCCESS) {
      snprintf(err, errlen, "cannot set the epilogue arguments of kernel %s (%s)", name, eqg_cl_error(rc));
      dev->cl.ReleaseKernel(k);
      return -1;
    }
  }
  eqg_launch* l = &plan->launch[plan->n_launch++];
  l->kernel = k;
  l->name = name;
  l->epi_arg = epi_arg;
  l->dims = dims;
  l->gws[0] = g0 ? g0 : 1;
  l->gws[1] = g1 ? g1 : 1;
  l->ops = ops;
  return 0;
}

int eqg_plan_set_epilogue(eqg_device* dev, eqg_node_plan* plan, int mode, const int8_t* table, cl_mem other,
                          char* err, size_t errlen) {
  int n = 0;
  for (int i = 0; i < plan->n_launch; ++i) n += plan->launch[i].epi_arg >= 0;
  if (!n || (mode != 1 && mode != 2) || (mode == 2 && !other)) {
    snprintf(err, errlen, "no kernel of the node takes that epilogue");
    return -1;
  }
  cl_mem t = eqg_upload(dev, plan, table, mode == 2 ? 65536 : 256, err, errlen);
  if (!t) return -1;
  const cl_int m = mode;
  for (int i = 0; i < plan->n_launch; ++i) {
    const eqg_launch* l = &plan->launch[i];
    if (l->epi_arg < 0) continue;
    cl_int rc = dev->cl.SetKernelArg(l->kernel, (cl_uint)l->epi_arg, sizeof(t), &t);
    if (rc == CL_SUCCESS) rc = dev->cl.SetKernelArg(l->kernel, (cl_uint)l->epi_arg + 1, sizeof(other), &other);
    if (rc == CL_SUCCESS) rc = dev->cl.SetKernelArg(l->kernel, (cl_uint)l->epi_arg + 2, sizeof(m), &m);
    if (rc != CL_SUCCESS) {
      snprintf(err, errlen, "cannot set the epilogue of kernel %s (%s)", l->name, eqg_cl_error(rc));
      return -1;
    }
  }
  return 0;
}

void eqg_set_local_size(eqg_node_plan* plan, size_t l0, size_t l1) {
  eqg_launch* l = &plan->launch[plan->n_launch - 1];
  l->lws[0] = l0;
  l->lws[1] = l1;
}

void eqg_channel_pixel_groups(eqg_device* dev, eqg_node_plan* plan, size_t channels) {
  eqg_launch* l = &plan->launch[plan->n_launch - 1];
  size_t max_wg = 0;
  if (dev->cl.GetKernelWorkGroupInfo(l->kernel, dev->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof(max_wg), &max_wg,
                                     NULL) != CL_SUCCESS || max_wg < 128)
    return;
  size_t l0 = 1;
  while (l0 < channels && l0 < 32) l0 <<= 1;
  const size_t l1 = 128 / l0;
  l->lws[0] = l0;
  l->lws[1] = l1;
  l->gws[0] = (l->gws[0] + l0 - 1) / l0 * l0;
  l->gws[1] = (l->gws[1] + l1 - 1) / l1 * l1;
}

cl_mem eqg_upload(eqg_device* dev, eqg_node_plan* plan, const void* data, size_t bytes, char* err, size_t errlen) {
  if (plan->n_mem >= EQG_MAX_MEM) {
    snprintf(err, errlen, "too many constant buffers for one node");
    return NULL;
  }
  cl_int rc = CL_SUCCESS;
  cl_mem m = dev->cl.CreateBuffer(dev->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes ? bytes : 4,
                                  (void*)data, &rc);
  if (!m) {
    snprintf(err, errlen, "cannot allocate %zu bytes of device memory (%s)", bytes, eqg_cl_error(rc));
    return NULL;
  }
  plan->mem[plan->n_mem++] = m;
  return m;
}

cl_mem eqg_upload_bcast(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* a, const TfLiteTensor* b,
                        const TfLiteTensor* out, size_t* total, char* err, size_t errlen) {
  eq_bcast bc;
  memset(&bc, 0, sizeof(bc));
  if (eq_bcast_init(&bc, a, b, out) != 0) {
    snprintf(err, errlen, "input shapes do not broadcast to the output's");
    return NULL;
  }
  cl_int meta[3 * EQ_BCAST_RANK];
  for (int i = 0; i < EQ_BCAST_RANK; ++i) {
    meta[i] = bc.dims[i];
    meta[EQ_BCAST_RANK + i] = (cl_int)bc.a_stride[i];
    meta[2 * EQ_BCAST_RANK + i] = (cl_int)bc.b_stride[i];
  }
  *total = bc.total;
  return eqg_upload(dev, plan, meta, sizeof(meta), err, errlen);
}

void eqg_plan_release(eqg_device* dev, eqg_node_plan* plan) {
  for (int i = 0; i < plan->n_launch; ++i)
    if (plan->launch[i].kernel) dev->cl.ReleaseKernel(plan->launch[i].kernel);
  for (int i = 0; i < plan->n_mem; ++i)
    if (plan->mem[i]) dev->cl.ReleaseMemObject(plan->mem[i]);
  memset(plan, 0, sizeof(*plan));
}

int eqg_upload_channel_params(eqg_device* dev, eqg_node_plan* plan, const TfLiteTensor* in, const TfLiteTensor* w,
                              const TfLiteTensor* b, const TfLiteTensor* out, int channels, cl_mem* bias, cl_mem* mult,
                              cl_mem* shift, char* err, size_t errlen) {
  int32_t* buf = calloc((size_t)channels * 3, sizeof(int32_t));
  if (!buf) return -1;
  if (b) memcpy(buf, b->data.raw_const, sizeof(int32_t) * (size_t)channels);
  eq_channel_multipliers(in, w, out, channels, buf + channels, buf + 2 * channels);
  const size_t bytes = sizeof(int32_t) * (size_t)channels;
  *bias = eqg_upload(dev, plan, buf, bytes, err, errlen);
  *mult = *bias ? eqg_upload(dev, plan, buf + channels, bytes, err, errlen) : NULL;
  *shift = *mult ? eqg_upload(dev, plan, buf + 2 * channels, bytes, err, errlen) : NULL;
  free(buf);
  return *shift ? 0 : -1;
}


int eqg_gemm_ksplit(long tiles, int k) {
  const char* force = getenv("EDGEQ_GPU_KSPLIT");
  int s = 1;
  if (force && *force) {
    s = atoi(force);
  } else {
    while (tiles * s * 2 <= EQG_GEMM_TARGET_GROUPS && (long)k / (s * 2) >= EQG_GEMM_MIN_SLICE && s < EQG_GEMM_MAX_SPLIT)
      s *= 2;
  }
  if (s < 1) s = 1;
  const int max_s = (k + 15) / 16; /* every slice at least one 16-deep step */
  return s > max_s ? max_s : s;
}

int eqg_tiled_worth_it(int m, int n, int k) {
  const long tiles = (long)((m + 63) / 64) * ((n + 63) / 64);
  return tiles * eqg_gemm_ksplit(tiles, k) >= 96;
}

cl_mem eqg_scratch(eqg_device* dev, eqg_node_plan* plan, size_t bytes, char* err, size_t errlen) {
  if (plan->n_mem >= EQG_MAX_MEM) {
    snprintf(err, errlen, "too many device buffers for one node");
    return NULL;
  }
  cl_int rc = CL_SUCCESS;
  cl_mem m = dev->cl.CreateBuffer(dev->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &rc);
  if (!m) {
    snprintf(err, errlen, "cannot allocate %zu bytes of device memory (%s)", bytes, eqg_cl_error(rc));
    return NULL;
  }
  plan->mem[plan->n_mem++] = m;
  return m;
}

int eqg_add_gemm_tiled(eqg_device* dev, eqg_node_plan* plan, cl_mem in, cl_mem w, cl_mem bias, cl_mem mult,
                       cl_mem shift, cl_mem out, int m, int n, int k, int in_zp, int out_zp, int act_min, int act_max,
                       const eq_conv_geometry* g, int groups, char* err, size_t errlen) {
  eq_conv_geometry one = {0};
  if (!g) { /* FULLY_CONNECTED: one "pixel" per row, a 1x1 kernel over k channels */
    one.batches = m;
    one.in_h = one.in_w = one.out_h = one.out_w = one.kh = one.kw = 1;
    one.sh = one.sw = one.dh = one.dw = 1;
    one.in_c = k;
    g = &one;
    groups = 1;
  }
  const cl_int npg = n / groups, cpg = g->in_c / groups, tpg = (npg + 63) / 64;
  const cl_int double_round = g != &one;
  /* few output tiles: split the depth so the device gets enough work groups */
  const size_t m_tiles = (size_t)(m + 63) / 64;
  const cl_int ksplit = eqg_gemm_ksplit((long)m_tiles * groups * tpg, k);
  const cl_int kchunk = (k + ksplit * 16 - 1) / (ksplit * 16) * 16;
  cl_mem partial = NULL;
  if (ksplit > 1 && !(partial = eqg_scratch(dev, plan, sizeof(cl_int) * (size_t)ksplit * m * n, err, errlen)))
    return -1;
  const cl_int dense = groups == 1 && g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_h == 0 &&
                       g->pad_w == 0 && g->in_h == g->out_h && g->in_w == g->out_w;
  const eqg_arg args[] = {EQG_ARG(in),      EQG_ARG(w),        EQG_ARG(bias),   EQG_ARG(mult),    EQG_ARG(shift),
                          EQG_ARG(out),     EQG_ARG(n),        EQG_ARG(k),      EQG_ARG(in_zp),   EQG_ARG(out_zp),
                          EQG_ARG(act_min), EQG_ARG(act_max),  EQG_ARG(m),      EQG_ARG(double_round),
                          EQG_ARG(dense),   EQG_ARG(g->in_h),  EQG_ARG(g->in_w), EQG_ARG(g->in_c), EQG_ARG(g->out_h),
                          EQG_ARG(g->out_w), EQG_ARG(g->kw),   EQG_ARG(g->sh),  EQG_ARG(g->sw),   EQG_ARG(g->dh),
                          EQG_ARG(g->dw),   EQG_ARG(g->pad_h), EQG_ARG(g->pad_w), EQG_ARG(npg),   EQG_ARG(cpg),
                          EQG_ARG(tpg),     EQG_ARG(ksplit),   EQG_ARG(kchunk), EQG_ARG(partial)};
  const double ops = 2.0 * (double)m * n * k;
  if (eqg_add_launch(dev, plan, "gemm_tiled_qs8", 2, (size_t)groups * tpg * 16, m_tiles * 16 * (size_t)ksplit, args,
                     EQG_NARGS(args), ops, err, errlen))
    return -1;
  eqg_set_local_size(plan, 16, 16);
  if (ksplit == 1) return 0;
  const cl_int total = m * n;
  const eqg_arg rargs[] = {EQG_ARG(partial), EQG_ARG(bias),   EQG_ARG(mult),    EQG_ARG(shift),
                           EQG_ARG(out),     EQG_ARG(n),      EQG_ARG(total),   EQG_ARG(ksplit),
                           EQG_ARG(out_zp),  EQG_ARG(act_min), EQG_ARG(act_max), EQG_ARG(double_round)};
  return eqg_add_launch(dev, plan, "gemm_splitk_requant_qs8", 1, (size_t)total, 1, rargs, EQG_NARGS(rargs), 0, err,
                        errlen);
}
