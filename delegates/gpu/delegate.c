/* libedgeq_gpu: TFLite external delegate entry points, partitioning, and the partition
 * kernel that keeps a delegated subgraph on the OpenCL device: inputs are uploaded once
 * per invoke, every node's kernels are enqueued back to back on an in-order queue, and
 * only the partition's outputs are read back.
 *
 * Without a usable OpenCL device (no ICD loader, no platform, kernel build failure, too
 * little memory) the delegate logs one line, claims nothing, and the runtime runs the
 * whole model itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delegate_state.h"
#include "fuse.h"
#include "partition.h"
#include "plugin.h"

#define WHO "edgeq gpu delegate"

/* ------------------------------------------------------------------ partition kernel */

static void release_staging(eqg_device* dev, cl_mem* pin, void** host, int n) {
  for (int i = 0; pin && i < n; ++i) {
    if (!pin[i]) continue;
    if (host && host[i]) dev->cl.EnqueueUnmapMemObject(dev->queue, pin[i], host[i], 0, NULL, NULL);
    dev->cl.ReleaseMemObject(pin[i]);
  }
  if (pin && n) dev->cl.Finish(dev->queue);
}

/* Pinned host staging for n transfers of the partition's buffers slots[] (see eqg_partition):
 * each a CL_MEM_ALLOC_HOST_PTR buffer mapped once for the partition's life. Any failure leaves
 * that transfer on the tensor's own memory. */
static void make_staging(eqg_device* dev, const eqg_partition* p, const int* slots, int n, cl_mem* pin,
                         void** host) {
  for (int i = 0; i < n; ++i) {
    const size_t bytes = p->bufs[slots[i]].bytes ? p->bufs[slots[i]].bytes : 1;
    cl_int rc = CL_SUCCESS;
    pin[i] = dev->cl.CreateBuffer(dev->context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, bytes, NULL, &rc);
    if (!pin[i]) continue;
    host[i] = dev->cl.EnqueueMapBuffer(dev->queue, pin[i], CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, bytes, 0, NULL,
                                       NULL, &rc);
    if (!host[i] || rc != CL_SUCCESS) {
      host[i] = NULL;
      dev->cl.ReleaseMemObject(pin[i]);
      pin[i] = NULL;
    }
  }
}

/* The partition's device objects (kernels, buffers, staging); it stays in memory, detached from its
 * delegate (owner NULL). */
static void partition_release_device(eqg_partition* p) {
  eqg_delegate* d = p->owner;
  if (!d) return;
  for (eqg_partition** it = &d->partitions; *it; it = &(*it)->next)
    if (*it == p) {
      *it = p->next;
      break;
    }
  for (int i = 0; i < p->n_nodes && p->plans; ++i) eqg_plan_release(&d->dev, &p->plans[i]);
  for (int i = 0; i < p->n_bufs; ++i)
    if (p->bufs[i].mem && !p->bufs[i].alias) d->dev.cl.ReleaseMemObject(p->bufs[i].mem);
  release_staging(&d->dev, p->in_pin, p->in_host, p->n_in);
  release_staging(&d->dev, p->out_pin, p->out_host, p->n_out);
  p->owner = NULL;
}

static void partition_free(TfLiteContext* ctx, void* buffer) {
  (void)ctx;
  eqg_partition* p = buffer;
  if (!p) return;
  partition_release_device(p);
  eq_shape_guard_free(&p->inputs);
  free(p->in_pin);
  free(p->in_host);
  free(p->out_pin);
  free(p->out_host);
  free(p->in_buf);
  free(p->out_buf);
  free(p->bufs);
  free(p->plans);
  free(p->kinds);
  free(p->node_index);
  free(p->fused);
  free(p);
}

static int find_buf(const eqg_partition* p, int t) {
  for (int i = 0; i < p->n_bufs; ++i)
    if (p->bufs[i].tensor == t) return i;
  return -1;
}

/* The device buffer of tensor t, created on first use (constants are uploaded now). */
static cl_mem get_buf(eqg_partition* p, TfLiteContext* ctx, int t, char* err, size_t errlen) {
  int i = find_buf(p, t);
  if (i >= 0) return p->bufs[i].mem;
  eqg_device* dev = &p->owner->dev;
  const TfLiteTensor* tensor = &ctx->tensors[t];
  const int is_const = eq_is_const(tensor) && tensor->data.raw;
  const size_t bytes = tensor->bytes ? tensor->bytes : 1;
  cl_int rc = CL_SUCCESS;
  cl_mem m = dev->cl.CreateBuffer(dev->context, is_const ? CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR : CL_MEM_READ_WRITE,
                                  bytes, is_const ? tensor->data.raw : NULL, &rc);
  if (!m) {
    snprintf(err, errlen, "cannot allocate %zu bytes on '%s' for tensor '%s' (%s)", bytes, dev->device_name,
             tensor->name ? tensor->name : "?", eqg_cl_error(rc));
    return NULL;
  }
  p->bufs[p->n_bufs].tensor = t;
  p->bufs[p->n_bufs].mem = m;
  p->bufs[p->n_bufs].bytes = tensor->bytes;
  p->n_bufs++;
  return m;
}

static void* partition_init(TfLiteContext* ctx, const char* buffer, size_t length) {
  (void)length;
  const TfLiteDelegateParams* params = (const TfLiteDelegateParams*)buffer;
  eqg_delegate* d = (eqg_delegate*)params->delegate;
  char err[768] = {0};
  eqg_partition* p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  const double t_setup = eqg_now_ms();
  p->owner = d;
  p->id = d->next_partition_id++;
  p->next = d->partitions;
  d->partitions = p;
  p->n_nodes = params->nodes_to_replace->size;
  p->node_index = calloc((size_t)p->n_nodes, sizeof(int));
  p->kinds = calloc((size_t)p->n_nodes, sizeof(*p->kinds));
  p->plans = calloc((size_t)p->n_nodes, sizeof(eqg_node_plan));
  int max_bufs = params->input_tensors->size + params->output_tensors->size;
  for (int i = 0; i < p->n_nodes; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, params->nodes_to_replace->data[i], &node, &reg) == kTfLiteOk)
      max_bufs += node->inputs->size + node->outputs->size;
  }
  p->bufs = calloc((size_t)max_bufs + 1, sizeof(eqg_buf));
  p->in_buf = calloc((size_t)params->input_tensors->size + 1, sizeof(int));
  p->out_buf = calloc((size_t)params->output_tensors->size + 1, sizeof(int));
  p->fused = calloc((size_t)p->n_nodes + 1, sizeof(*p->fused));
  int* swish_of = calloc((size_t)p->n_nodes + 1, sizeof(int)); /* the LOGISTIC fused into MUL j */
  eqg_fuse_kind* fuse = calloc((size_t)p->n_nodes + 1, sizeof(*fuse));
  eqg_fused_node* fz = calloc((size_t)p->n_nodes + 1, sizeof(*fz)); /* elementwise chains (fuse.h) */
  int* logistic_runs_in = calloc((size_t)p->n_nodes + 1, sizeof(int)); /* 1: a LOGISTIC its MUL computes */
  if (!p->node_index || !p->kinds || !p->plans || !p->bufs || !p->in_buf || !p->out_buf || !p->fused || !swish_of ||
      !fuse || !fz || !logistic_runs_in)
    goto fail;
  eqg_find_fusions(ctx, params->nodes_to_replace, params->output_tensors, swish_of, fuse);
  for (int j = 0; j < p->n_nodes; ++j)
    if (swish_of[j] >= 0) {
      p->fused[j] = fuse[j] == EQG_FUSE_SWISH ? "LOGISTIC+MUL (swish: one table)" : "LOGISTIC+MUL (gate: sigmoid looked up)";
      p->fused[swish_of[j]] = "into the MUL that reads it";
      logistic_runs_in[swish_of[j]] = 1;
    }
  if (eqg_fuse_plan(ctx, params->nodes_to_replace, params->output_tensors, swish_of, fuse, fz)) goto fail;
  for (int j = 0; j < p->n_nodes; ++j) {
    if (fz[j].row)
      p->fused[j] = "row program: this MEAN over the last axis and the elementwise ops after it (LayerNorm), one "
                    "work group per row (rownorm_qs8)";
    else if (fz[j].perm_write)
      p->fused[j] = "into the BATCH_MATMUL before it (stores its output through this TRANSPOSE's permutation)";
    else if (fz[j].perm_read)
      p->fused[j] = "into the BATCH_MATMUL that reads it (reads this TRANSPOSE's input through its permutation)";
    else if (fz[j].into >= 0 && fz[fz[j].into].row)
      p->fused[j] = "into the row program of the MEAN before it (one rownorm_qs8)";
    else if (fz[j].into >= 0 && fz[fz[j].into].se_conv == j)
      p->fused[j] = "into the squeeze-excite MUL that reads it (computed per element there)";
    else if (fz[j].into >= 0)
      p->fused[j] = fz[fz[j].into].lut ? "into the table lookup of the elementwise op before it (one lut_s8)"
                                       : "into the conv / FC that produces its input (epilogue)";
    else if (fz[j].se_conv >= 0)
      p->fused[j] = "squeeze-excite gate: computes its gate's 1x1 conv per element and multiplies (one launch)";
    else if (fz[j].lut && fz[j].epi == 2)
      p->fused[j] = "looks up the elementwise ops after it, one binary, in one table of both bytes (table2_s8)";
    else if (fz[j].epi == 2)
      p->fused[j] = "applies the elementwise ops after it (one of them binary) as it stores (epilogue)";
    else if (fz[j].epi == 1)
      p->fused[j] = "applies the elementwise ops after it as it stores (epilogue)";
    else if (fz[j].lut && fz[j].host && !p->fused[j])
      p->fused[j] = "looks up the elementwise ops after it in its own table (one lut_s8)";
  }

  for (int i = 0; i < p->n_nodes; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    const int idx = params->nodes_to_replace->data[i];
    if (ctx->GetNodeAndRegistration(ctx, idx, &node, &reg) != kTfLiteOk) goto fail;
    p->node_index[i] = idx;
    const eq_op_info* info = eq_registry_find(&eqg_ops, reg->builtin_code, NULL);
    p->kinds[i] = info ? eqg_op_kind_of(info) : NULL;
    if (!p->kinds[i]) goto fail;
    if (fz[i].into >= 0 || logistic_runs_in[i]) continue; /* another node's kernel does its work */
    if (reg->builtin_code == kTfLiteBuiltinReshape && node->outputs->size == 1 && node->inputs->size >= 1) {
      /* a RESHAPE's output is its input's bytes: the same device buffer, no kernel */
      const int t_in = node->inputs->data[0], t_out = node->outputs->data[0];
      if (t_in >= 0 && t_out >= 0 && find_buf(p, t_out) < 0 && ctx->tensors[t_in].bytes == ctx->tensors[t_out].bytes) {
        cl_mem x = get_buf(p, ctx, t_in, err, sizeof(err));
        if (!x) goto fail_msg;
        p->bufs[p->n_bufs].tensor = t_out;
        p->bufs[p->n_bufs].mem = x;
        p->bufs[p->n_bufs].bytes = ctx->tensors[t_out].bytes;
        p->bufs[p->n_bufs].alias = 1;
        p->n_bufs++;
        p->fused[i] = "its output is its input's device buffer (no kernel)";
        continue;
      }
    }
    if (fz[i].row) { /* a row program (LayerNorm): one work group per row */
      cl_mem x = get_buf(p, ctx, fz[i].in_tensor, err, sizeof(err));
      cl_mem y = x ? get_buf(p, ctx, fz[i].out_tensor, err, sizeof(err)) : NULL;
      if (!y || eqg_add_rowprog(&d->dev, &p->plans[i], fz[i].row, x, y, err, sizeof(err))) goto fail_msg;
      continue;
    }
    if (fz[i].lut) { /* a unary op (and those after it): one table lookup */
      cl_mem x = get_buf(p, ctx, fz[i].in_tensor, err, sizeof(err));
      cl_mem y = x ? get_buf(p, ctx, fz[i].out_tensor, err, sizeof(err)) : NULL;
      if (!y) goto fail_msg;
      if (fz[i].epi == 2) { /* and a binary op, broadcasting: table2_s8 of (looked-up byte, other byte) */
        cl_mem o = get_buf(p, ctx, fz[i].other_tensor, err, sizeof(err));
        if (!o || eqg_add_table2(&d->dev, &p->plans[i], &ctx->tensors[fz[i].bin_x], &ctx->tensors[fz[i].other_tensor],
                                 &ctx->tensors[fz[i].bin_out], x, o, y, fz[i].table, err, sizeof(err)))
          goto fail_msg;
        continue;
      }
      if (eqg_add_lut(&d->dev, &p->plans[i], x, y, eq_numel(&ctx->tensors[fz[i].in_tensor]), fz[i].table, err,
                      sizeof(err)))
        goto fail_msg;
      continue;
    }
    if (fz[i].se_conv >= 0) {
      TfLiteNode* cn = NULL;
      TfLiteRegistration* creg = NULL;
      if (ctx->GetNodeAndRegistration(ctx, params->nodes_to_replace->data[fz[i].se_conv], &cn, &creg) != kTfLiteOk)
        goto fail;
      cl_mem x = get_buf(p, ctx, fz[i].se_x, err, sizeof(err));
      cl_mem sq = x ? get_buf(p, ctx, cn->inputs->data[0], err, sizeof(err)) : NULL;
      cl_mem y = sq ? get_buf(p, ctx, node->outputs->data[0], err, sizeof(err)) : NULL;
      if (!y) goto fail_msg;
      if (eqg_se_gate_create(&d->dev, ctx, cn, node, x, sq, y, fz[i].se_gtable, fz[i].table, &p->plans[i], err,
                             sizeof(err)))
        goto fail_msg;
      continue;
    }
    if (swish_of[i] >= 0) { /* a squeeze-excite gate (a swish is a table above) */
      TfLiteNode* lg = NULL;
      TfLiteRegistration* lreg = NULL;
      if (ctx->GetNodeAndRegistration(ctx, params->nodes_to_replace->data[swish_of[i]], &lg, &lreg) != kTfLiteOk)
        goto fail;
      const int s = lg->outputs->data[0], other = node->inputs->data[node->inputs->data[0] == s ? 1 : 0];
      cl_mem x = get_buf(p, ctx, lg->inputs->data[0], err, sizeof(err));
      cl_mem o = x ? get_buf(p, ctx, other, err, sizeof(err)) : NULL;
      cl_mem y = o ? get_buf(p, ctx, node->outputs->data[0], err, sizeof(err)) : NULL;
      if (!y) goto fail_msg;
      if (eqg_mul_gate_create(&d->dev, ctx, lg, node, o, x, y, &p->plans[i], err, sizeof(err))) goto fail_msg;
      continue;
    }
    cl_mem in[EQG_MAX_LAUNCH + 4] = {0}, out[4] = {0};
    if (node->inputs->size > EQG_MAX_LAUNCH + 4 || node->outputs->size > 4) goto fail;
    for (int j = 0; j < node->inputs->size; ++j) {
      const int t = node->inputs->data[j];
      if (t < 0 || (p->kinds[i]->param_inputs >> j) & 1u) continue;
      if (!(in[j] = get_buf(p, ctx, t, err, sizeof(err)))) goto fail_msg;
    }
    for (int j = 0; j < node->outputs->size; ++j) {
      /* with an epilogue the node stores the last fused op's output */
      const int t = fz[i].epi || fz[i].bmm_dst >= 0 ? fz[i].out_tensor : node->outputs->data[j];
      if (t >= 0 && !(out[j] = get_buf(p, ctx, t, err, sizeof(err)))) goto fail_msg;
    }
    if (fz[i].bmm_src[0] >= 0 || fz[i].bmm_src[1] >= 0 || fz[i].bmm_dst >= 0) {
      /* reads a TRANSPOSE's input through its permutation, or stores into a TRANSPOSE's output through its */
      const TfLiteTensor* src[2] = {NULL, NULL};
      const int* perm[2] = {NULL, NULL};
      for (int s = 0; s < 2; ++s) {
        if (fz[i].bmm_src[s] < 0) continue;
        if (!(in[s] = get_buf(p, ctx, fz[i].bmm_src[s], err, sizeof(err)))) goto fail_msg;
        src[s] = &ctx->tensors[fz[i].bmm_src[s]];
        perm[s] = fz[i].bmm_perm[s];
      }
      for (int s = 0; s < 2; ++s)
        if (!src[s]) src[s] = &ctx->tensors[node->inputs->data[s]], perm[s] = NULL;
      const int ident[6] = {0, 1, 2, 3, 4, 5};
      for (int s = 0; s < 2; ++s)
        if (!perm[s]) perm[s] = ident;
      const TfLiteTensor* dst = NULL;
      if (fz[i].bmm_dst >= 0) {
        if (!(out[0] = get_buf(p, ctx, fz[i].bmm_dst, err, sizeof(err)))) goto fail_msg;
        dst = &ctx->tensors[fz[i].bmm_dst];
      }
      if (eqg_bmm_create(&d->dev, ctx, node, in, out, &p->plans[i], src, perm, dst, fz[i].bmm_dst_perm, err,
                         sizeof(err)))
        goto fail_msg;
    } else if (p->kinds[i]->create(&d->dev, ctx, node, in, out, &p->plans[i], err, sizeof(err))) {
      goto fail_msg;
    }
    if (fz[i].epi) {
      cl_mem other = fz[i].epi == 2 ? get_buf(p, ctx, fz[i].other_tensor, err, sizeof(err)) : NULL;
      if (fz[i].epi == 2 && !other) goto fail_msg;
      if (eqg_plan_set_epilogue(&d->dev, &p->plans[i], fz[i].epi, fz[i].table, other, err, sizeof(err)))
        goto fail_msg;
    }
  }
  for (int i = 0; i < params->input_tensors->size; ++i) {
    const int t = params->input_tensors->data[i];
    const int b = t >= 0 ? find_buf(p, t) : -1;
    if (b < 0 || eq_is_const(&ctx->tensors[t])) continue;
    p->in_buf[p->n_in++] = b;
  }
  for (int i = 0; i < params->output_tensors->size; ++i) {
    const int t = params->output_tensors->data[i];
    const int b = t >= 0 ? find_buf(p, t) : -1;
    if (b >= 0) p->out_buf[p->n_out++] = b;
  }
  p->in_pin = calloc((size_t)p->n_in + 1, sizeof(cl_mem));
  p->in_host = calloc((size_t)p->n_in + 1, sizeof(void*));
  p->out_pin = calloc((size_t)p->n_out + 1, sizeof(cl_mem));
  p->out_host = calloc((size_t)p->n_out + 1, sizeof(void*));
  if (!p->in_pin || !p->in_host || !p->out_pin || !p->out_host) goto fail;
  {
    const char* pinned = getenv("EDGEQ_GPU_PINNED");
    const char* sync = getenv("EDGEQ_GPU_SYNC");
    p->sync_read = !(sync && !strcmp(sync, "finish"));
    const char* flush = getenv("EDGEQ_GPU_FLUSH");
    p->flush_after = flush ? atoi(flush) : 0;
    if (!(pinned && !strcmp(pinned, "0"))) {
      make_staging(&d->dev, p, p->in_buf, p->n_in, p->in_pin, p->in_host);
      make_staging(&d->dev, p, p->out_buf, p->n_out, p->out_pin, p->out_host);
    }
  }
  if (eq_shape_guard_init(&p->inputs, WHO, ctx, params->input_tensors) != 0) goto fail;
  free(swish_of);
  free(fuse);
  eqg_fuse_plan_free(fz, fz ? p->n_nodes : 0);
  free(fz);
  free(logistic_runs_in);
  p->setup_ms = eqg_now_ms() - t_setup;
  eqg_report(d, ctx);
  return p;
fail_msg:
  ctx->ReportError(ctx, WHO ": cannot set up the partition on the device: %s", err);
fail:
  free(swish_of);
  free(fuse);
  eqg_fuse_plan_free(fz, fz ? p->n_nodes : 0);
  free(fz);
  free(logistic_runs_in);
  partition_free(ctx, p);
  return NULL;
}

static TfLiteStatus partition_invoke(TfLiteContext* ctx, TfLiteNode* node) {
  eqg_partition* p = node->user_data;
  eqg_delegate* d = p->owner;
  if (!d) {
    ctx->ReportError(ctx, WHO ": partition %d ran after its delegate was destroyed", p->id);
    return kTfLiteError;
  }
  eqg_device* dev = &d->dev;
  const double t0 = eqg_now_ms();
  cl_int rc = CL_SUCCESS;
  /* uploads: non-blocking, from pinned staging (the copy into it is the host's only work) */
  for (int i = 0; i < p->n_in && rc == CL_SUCCESS; ++i) {
    const eqg_buf* b = &p->bufs[p->in_buf[i]];
    const void* src = ctx->tensors[b->tensor].data.raw;
    if (p->in_host[i]) {
      memcpy(p->in_host[i], src, b->bytes);
      src = p->in_host[i];
    }
    rc = dev->cl.EnqueueWriteBuffer(dev->queue, b->mem, CL_FALSE, 0, b->bytes, src, 0, NULL, NULL);
  }
  const double t1 = eqg_now_ms();
  /* profile=1: one event per launch, summed per node after the queue drains */
  const int prof = dev->profiling;
  int n_launch = 0;
  for (int i = 0; i < p->n_nodes; ++i) n_launch += p->plans[i].n_launch;
  cl_event* ev = prof ? calloc((size_t)n_launch + 1, sizeof(cl_event)) : NULL;
  int e = 0;
  for (int i = 0; i < p->n_nodes && rc == CL_SUCCESS; ++i) {
    const eqg_node_plan* pl = &p->plans[i];
    for (int j = 0; j < pl->n_launch && rc == CL_SUCCESS; ++j, ++e) {
      const eqg_launch* l = &pl->launch[j];
      rc = dev->cl.EnqueueNDRangeKernel(dev->queue, l->kernel, l->dims, NULL, l->gws, l->lws[0] ? l->lws : NULL, 0, NULL,
                                        ev ? &ev[e] : NULL);
      if (e + 1 == p->flush_after && rc == CL_SUCCESS) rc = dev->cl.Flush(dev->queue);
    }
  }
  const double t2 = eqg_now_ms();
  /* readbacks: the in-order queue makes the last one's completion everything's; it blocks, so
   * there is no clFinish (EDGEQ_GPU_SYNC=finish: non-blocking reads and clFinish, as before) */
  int waited = 0;
  for (int i = 0; i < p->n_out && rc == CL_SUCCESS; ++i) {
    const eqg_buf* b = &p->bufs[p->out_buf[i]];
    void* dst = p->out_host[i] ? p->out_host[i] : ctx->tensors[b->tensor].data.raw;
    const int block = p->sync_read && i == p->n_out - 1;
    rc = dev->cl.EnqueueReadBuffer(dev->queue, b->mem, block ? CL_TRUE : CL_FALSE, 0, b->bytes, dst, 0, NULL, NULL);
    waited = block && rc == CL_SUCCESS;
  }
  if (!waited) {
    const cl_int frc = dev->cl.Finish(dev->queue);
    if (rc == CL_SUCCESS) rc = frc;
  }
  const double t3 = eqg_now_ms();
  for (int i = 0; i < p->n_out && rc == CL_SUCCESS; ++i)
    if (p->out_host[i]) {
      const eqg_buf* b = &p->bufs[p->out_buf[i]];
      memcpy(ctx->tensors[b->tensor].data.raw, p->out_host[i], b->bytes);
    }
  const double t4 = eqg_now_ms();
  if (ev) {
    e = 0;
    for (int i = 0; i < p->n_nodes; ++i) {
      eqg_node_plan* pl = &p->plans[i];
      pl->last_ns = 0;
      for (int j = 0; j < pl->n_launch; ++j, ++e) {
        cl_ulong s = 0, t = 0;
        if (!ev[e]) continue;
        if (dev->cl.GetEventProfilingInfo(ev[e], CL_PROFILING_COMMAND_START, sizeof(s), &s, NULL) == CL_SUCCESS &&
            dev->cl.GetEventProfilingInfo(ev[e], CL_PROFILING_COMMAND_END, sizeof(t), &t, NULL) == CL_SUCCESS &&
            t > s)
          pl->last_ns += t - s;
        dev->cl.ReleaseEvent(ev[e]);
      }
      pl->total_ns += pl->last_ns;
    }
    p->profiled++;
    free(ev);
  }
  if (rc != CL_SUCCESS) {
    ctx->ReportError(ctx, WHO ": running partition %d on '%s' failed (%s)", p->id, dev->device_name,
                     eqg_cl_error(rc));
    return kTfLiteError;
  }
  p->last_invoke_ms = t4 - t0;
  if (p->invocations == 0) {
    p->first_invoke_ms = p->last_invoke_ms;
  } else {
    p->t_upload += t1 - t0;
    p->t_kernels += t2 - t1;
    p->t_wait += t3 - t2;
    p->t_copy_out += t4 - t3;
    p->t_total += t4 - t0;
  }
  /* the report proves the partition ran: rewrite it after the first run (every run when profiling), */
  /* and at every power of two after it, so the host timeline's means reach the report */
  ++p->invocations;
  if ((p->invocations & (p->invocations - 1)) == 0 || prof) eqg_report(d, ctx);
  return kTfLiteOk;
}

/* ------------------------------------------------------------------ partitioning */

/* Records the outcome of eqg_device_open: one log line either way (the success line only
 * when verbose). */
static void device_opened(eqg_delegate* d, int rc, const char* err) {
  if (rc == 0) {
    d->dev_state = 1;
    if (d->opts.base.verbose)
      fprintf(stderr, WHO ": using '%s' (%s, %u compute units) on '%s', chosen by %s (program %s in %.1f ms)\n",
              d->dev.device_name, d->dev.device_type, d->dev.compute_units, d->dev.platform_name, d->dev.selection,
              d->dev.cache_hit ? "loaded from cache" : "compiled",
              d->dev.cache_hit ? d->dev.cache_load_ms : d->dev.compile_ms);
  } else {
    d->dev_state = -1;
    snprintf(d->dev_error, sizeof(d->dev_error), "%s", err);
    fprintf(stderr, WHO ": %s; the model runs on the CPU runtime\n", err);
  }
}

static int open_device(eqg_delegate* d) {
  if (d->dev_state == 0) {
    char err[768];
    const int rc = eqg_device_open(&d->dev, &d->opts, err, sizeof(err));
    device_opened(d, rc, err);
  }
  return d->dev_state == 1;
}

/* Device bytes the claimed nodes need (each tensor counted once), to refuse models that
 * cannot fit before the runtime commits to the delegate. */
static const char* vet_memory(void* arg, TfLiteContext* ctx, const TfLiteIntArray* claimed) {
  eqg_delegate* d = arg;
  static const char kNoMemory[] = "not enough device memory";
  unsigned char* seen = calloc(ctx->tensors_size + 1, 1);
  if (!seen) return kNoMemory;
  unsigned long long total = 0, biggest = 0;
  for (int i = 0; i < claimed->size; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, claimed->data[i], &node, &reg) != kTfLiteOk) continue;
    for (int pass = 0; pass < 2; ++pass) {
      const TfLiteIntArray* ts = pass ? node->outputs : node->inputs;
      for (int j = 0; j < ts->size; ++j) {
        const int t = ts->data[j];
        if (t < 0 || (size_t)t >= ctx->tensors_size || seen[t]) continue;
        seen[t] = 1;
        total += ctx->tensors[t].bytes;
        if (ctx->tensors[t].bytes > biggest) biggest = ctx->tensors[t].bytes;
      }
    }
  }
  free(seen);
  if (total <= d->dev.mem_budget && biggest <= d->dev.max_alloc) return NULL;
  snprintf(d->claim_note, sizeof(d->claim_note),
           "the claimed nodes need %.1f MB of device memory (largest tensor %.1f MB) but '%s' allows %.1f MB "
           "(largest buffer %.1f MB): nodes left to the CPU runtime; use a smaller model or the ops option",
           total / 1048576.0, biggest / 1048576.0, d->dev.device_name, d->dev.mem_budget / 1048576.0,
           d->dev.max_alloc / 1048576.0);
  fprintf(stderr, WHO ": %s\n", d->claim_note);
  return kNoMemory;
}

/* The offload model (offload.h), unless offload=all, or offload=auto on a CPU OpenCL device. */
static void decline(void* arg, TfLiteContext* ctx, const TfLiteIntArray* claimed, const char** why) {
  eqg_delegate* d = arg;
  eqg_offload_free(&d->offload);
  const eqg_offload_mode m = d->opts.offload;
  if (m == EQG_OFFLOAD_ALL || (m == EQG_OFFLOAD_AUTO && d->dev.device_type && !strcmp(d->dev.device_type, "cpu")))
    return;
  eqg_offload_rates rates;
  eqg_offload_rates_init(&rates, ctx, d->opts.cpu_threads, d->opts.cpu_gops, d->opts.device_gops, d->opts.launch_us,
                         d->dev.compute_units, d->dev.clock_mhz);
  eqg_offload_decide(ctx, claimed, &rates, why, &d->offload);
  for (int k = 0; k < d->offload.n && d->opts.base.verbose; ++k) {
    const eqg_offload_group* g = &d->offload.groups[k];
    if (!g->kept)
      fprintf(stderr, WHO ": declined the %d node(s) from node %d: device ~%.0f us >= CPU (%g threads) ~%.1f us\n",
              g->n_nodes, g->first_node, g->device_us, rates.cpu_threads, g->cpu_us);
  }
}

static void report(void* arg, TfLiteContext* ctx) { eqg_report(arg, ctx); }

static TfLiteStatus delegate_prepare(TfLiteContext* ctx, TfLiteDelegate* base) {
  eqg_delegate* d = (eqg_delegate*)base;
  d->claim_note[0] = 0;
  const int have_device = open_device(d);
  const eq_partition_spec spec = {WHO,        &eqg_ops,   d->opts.base.op_enabled,
                                  d->opts.base.verbose, have_device ? NULL : "no usable OpenCL device",
                                  vet_memory, report,     d,
                                  {"EdgeqGpuDelegate", partition_init, partition_free, eq_shape_guard_prepare,
                                   partition_invoke},
                                  decline};
  return eq_partition(ctx, base, &spec, &d->claims);
}

/* ------------------------------------------------------------------ plugin ABI */

static int configure(TfLiteDelegate* base, const char* const* keys, const char* const* values, size_t n, char* err,
                     size_t errlen) {
  eqg_delegate* d = (eqg_delegate*)base;
  if (eqg_options_parse(&d->opts, keys, values, n, err, errlen) != 0) return -1;
  /* an explicitly requested platform/device that cannot be opened is a user error, reported
   * now; without one, a missing OpenCL stack only means the runtime keeps every node */
  if (d->opts.platform || d->opts.device) {
    char why[768];
    const int rc = eqg_device_open(&d->dev, &d->opts, why, sizeof(why));
    if (rc == EQG_ERR_SELECTION) {
      snprintf(err, errlen, WHO ": %s", why);
      return -1;
    }
    device_opened(d, rc, why);
  }
  return 0;
}

static void release(TfLiteDelegate* base) {
  eqg_delegate* d = (eqg_delegate*)base;
  /* the runtime normally frees its partition kernels (partition_free) before it lets go of the delegate;
   * where it does not (Python's teardown at exit can free the delegate object first), their device
   * objects go now and partition_free later frees only host memory */
  while (d->partitions) partition_release_device(d->partitions);
  if (d->dev_state == 1) eqg_device_close(&d->dev);
  eq_claims_clear(&d->claims);
  eqg_offload_free(&d->offload);
  eqg_options_free(&d->opts);
}

static const eq_plugin kPlugin = {WHO, sizeof(eqg_delegate), configure, release, delegate_prepare,
                                  kTfLiteDelegateFlagsNone};

EQ_DEFINE_PLUGIN(kPlugin)
