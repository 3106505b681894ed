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
#include "partition.h"

#if defined(_WIN32)
#define EQG_EXPORT __declspec(dllexport)
#else
#define EQG_EXPORT __attribute__((visibility("default")))
#endif

static void report(eqg_delegate* d, TfLiteContext* ctx) {
  if (d->opts.base.report_path && eqg_report_write(d) != 0 && ctx)
    ctx->ReportError(ctx, "edgeq gpu delegate: cannot write report_path '%s': check the folder exists and is writable",
                     d->opts.base.report_path);
}

/* ------------------------------------------------------------------ partition kernel */

static void partition_free(TfLiteContext* ctx, void* buffer) {
  (void)ctx;
  eqg_partition* p = buffer;
  if (!p) return;
  eqg_delegate* d = p->owner;
  for (eqg_partition** it = &d->partitions; *it; it = &(*it)->next)
    if (*it == p) {
      *it = p->next;
      break;
    }
  for (int i = 0; i < p->n_nodes && p->plans; ++i) eqg_plan_release(&d->dev, &p->plans[i]);
  for (int i = 0; i < p->n_bufs; ++i)
    if (p->bufs[i].mem) d->dev.cl.ReleaseMemObject(p->bufs[i].mem);
  for (int i = 0; i < p->n_in && p->in_dims; ++i) free(p->in_dims[i]);
  free(p->in_dims);
  free(p->in_buf);
  free(p->out_buf);
  free(p->bufs);
  free(p->plans);
  free(p->kinds);
  free(p->node_index);
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
  p->in_dims = calloc((size_t)params->input_tensors->size + 1, sizeof(TfLiteIntArray*));
  if (!p->node_index || !p->kinds || !p->plans || !p->bufs || !p->in_buf || !p->out_buf || !p->in_dims) goto fail;

  for (int i = 0; i < p->n_nodes; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    const int idx = params->nodes_to_replace->data[i];
    if (ctx->GetNodeAndRegistration(ctx, idx, &node, &reg) != kTfLiteOk) goto fail;
    p->node_index[i] = idx;
    const eq_op_info* info = eq_registry_find(&eqg_ops, reg->builtin_code, NULL);
    p->kinds[i] = info ? eqg_op_kind_of(info) : NULL;
    if (!p->kinds[i]) goto fail;
    cl_mem in[EQG_MAX_LAUNCH + 4] = {0}, out[4] = {0};
    if (node->inputs->size > EQG_MAX_LAUNCH + 4 || node->outputs->size > 4) goto fail;
    for (int j = 0; j < node->inputs->size; ++j) {
      const int t = node->inputs->data[j];
      if (t < 0 || (p->kinds[i]->param_inputs >> j) & 1u) continue;
      if (!(in[j] = get_buf(p, ctx, t, err, sizeof(err)))) goto fail_msg;
    }
    for (int j = 0; j < node->outputs->size; ++j) {
      const int t = node->outputs->data[j];
      if (t >= 0 && !(out[j] = get_buf(p, ctx, t, err, sizeof(err)))) goto fail_msg;
    }
    if (p->kinds[i]->create(&d->dev, ctx, node, in, out, &p->plans[i], err, sizeof(err))) goto fail_msg;
  }
  for (int i = 0; i < params->input_tensors->size; ++i) {
    const int t = params->input_tensors->data[i];
    const int b = t >= 0 ? find_buf(p, t) : -1;
    if (b < 0 || eq_is_const(&ctx->tensors[t])) continue;
    p->in_dims[p->n_in] = eq_int_array_copy(ctx->tensors[t].dims);
    if (!p->in_dims[p->n_in]) goto fail;
    p->in_buf[p->n_in++] = b;
  }
  for (int i = 0; i < params->output_tensors->size; ++i) {
    const int t = params->output_tensors->data[i];
    const int b = t >= 0 ? find_buf(p, t) : -1;
    if (b >= 0) p->out_buf[p->n_out++] = b;
  }
  report(d, ctx);
  return p;
fail_msg:
  ctx->ReportError(ctx, "edgeq gpu delegate: cannot set up the partition on the device: %s", err);
fail:
  partition_free(ctx, p);
  return NULL;
}

static TfLiteStatus partition_prepare(TfLiteContext* ctx, TfLiteNode* node) {
  eqg_partition* p = node->user_data;
  if (!p) return kTfLiteError;
  for (int i = 0; i < p->n_in; ++i) {
    const int t = p->bufs[p->in_buf[i]].tensor;
    const TfLiteIntArray* now = ctx->tensors[t].dims;
    const TfLiteIntArray* then = p->in_dims[i];
    if (!now || now->size != then->size || memcmp(now->data, then->data, sizeof(int) * (size_t)then->size) != 0) {
      ctx->ReportError(ctx,
                       "edgeq gpu delegate: input '%s' changed shape after delegation: create the interpreter "
                       "with the new shape (dynamic shapes are not supported)",
                       ctx->tensors[t].name ? ctx->tensors[t].name : "?");
      return kTfLiteError;
    }
  }
  return kTfLiteOk;
}

static TfLiteStatus partition_invoke(TfLiteContext* ctx, TfLiteNode* node) {
  eqg_partition* p = node->user_data;
  eqg_delegate* d = p->owner;
  eqg_device* dev = &d->dev;
  const double t0 = eqg_now_ms();
  cl_int rc = CL_SUCCESS;
  for (int i = 0; i < p->n_in && rc == CL_SUCCESS; ++i) {
    const eqg_buf* b = &p->bufs[p->in_buf[i]];
    rc = dev->cl.EnqueueWriteBuffer(dev->queue, b->mem, CL_FALSE, 0, b->bytes, ctx->tensors[b->tensor].data.raw, 0,
                                    NULL, NULL);
  }
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
    }
  }
  for (int i = 0; i < p->n_out && rc == CL_SUCCESS; ++i) {
    const eqg_buf* b = &p->bufs[p->out_buf[i]];
    rc = dev->cl.EnqueueReadBuffer(dev->queue, b->mem, CL_FALSE, 0, b->bytes, ctx->tensors[b->tensor].data.raw, 0,
                                   NULL, NULL);
  }
  const cl_int frc = dev->cl.Finish(dev->queue);
  if (rc == CL_SUCCESS) rc = frc;
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
    }
    free(ev);
  }
  if (rc != CL_SUCCESS) {
    ctx->ReportError(ctx, "edgeq gpu delegate: running partition %d on '%s' failed (%s)", p->id, dev->device_name,
                     eqg_cl_error(rc));
    return kTfLiteError;
  }
  p->last_invoke_ms = eqg_now_ms() - t0;
  /* the report proves the partition ran: rewrite it after the first run (every run when profiling) */
  if (++p->invocations == 1 || prof) report(d, ctx);
  return kTfLiteOk;
}

/* ------------------------------------------------------------------ partitioning */

/* Records the outcome of eqg_device_open: one log line either way (the success line only
 * when verbose). */
static void device_opened(eqg_delegate* d, int rc, const char* err) {
  if (rc == 0) {
    d->dev_state = 1;
    if (d->opts.base.verbose)
      fprintf(stderr, "edgeq gpu delegate: using '%s' on '%s' (program %s in %.1f ms)\n", d->dev.device_name,
              d->dev.platform_name, d->dev.cache_hit ? "loaded from cache" : "compiled",
              d->dev.cache_hit ? d->dev.cache_load_ms : d->dev.compile_ms);
  } else {
    d->dev_state = -1;
    snprintf(d->dev_error, sizeof(d->dev_error), "%s", err);
    fprintf(stderr, "edgeq gpu delegate: %s; the model runs on the CPU runtime\n", err);
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
static int fits_in_memory(eqg_delegate* d, TfLiteContext* ctx, const TfLiteIntArray* claimed) {
  unsigned char* seen = calloc(ctx->tensors_size + 1, 1);
  if (!seen) return 0;
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
  if (total <= d->dev.mem_budget && biggest <= d->dev.max_alloc) return 1;
  snprintf(d->claim_note, sizeof(d->claim_note),
           "the claimed nodes need %.1f MB of device memory (largest tensor %.1f MB) but '%s' allows %.1f MB "
           "(largest buffer %.1f MB): nodes left to the CPU runtime; use a smaller model or the ops option",
           total / 1048576.0, biggest / 1048576.0, d->dev.device_name, d->dev.mem_budget / 1048576.0,
           d->dev.max_alloc / 1048576.0);
  fprintf(stderr, "edgeq gpu delegate: %s\n", d->claim_note);
  return 0;
}

static TfLiteStatus delegate_prepare(TfLiteContext* ctx, TfLiteDelegate* base) {
  eqg_delegate* d = (eqg_delegate*)base;
  TfLiteIntArray* plan = NULL;
  if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
  TfLiteIntArray* plan_copy = eq_int_array_copy(plan); /* the runtime's plan is invalidated by later calls */
  TfLiteIntArray* claimed = eq_int_array_new(plan_copy ? plan_copy->size : 0);
  free(d->records);
  d->records = plan_copy ? calloc((size_t)plan_copy->size + 1, sizeof(eqg_node_record)) : NULL;
  d->n_records = 0;
  d->n_claimed = 0;
  d->claim_note[0] = 0;
  if (!plan_copy || !claimed || !d->records) {
    free(plan_copy);
    free(claimed);
    return kTfLiteError;
  }
  const int have_device = open_device(d);
  for (int i = 0; i < plan_copy->size; ++i) {
    const int idx = plan_copy->data[i];
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, idx, &node, &reg) != kTfLiteOk) continue;
    size_t slot = 0;
    const eq_op_info* kind = eq_registry_find(&eqg_ops, reg->builtin_code, &slot);
    const char* why = NULL;
    if (!kind) why = "op not implemented";
    else if (!d->opts.base.op_enabled[slot]) why = "disabled by the ops option";
    else why = kind->check(ctx, node);
    if (!why && !have_device) why = "no usable OpenCL device";
    eqg_node_record* r = &d->records[d->n_records++];
    r->node = idx;
    r->op = kind ? kind->name : NULL;
    r->builtin_code = reg->builtin_code;
    r->reason = why;
    if (!why) claimed->data[claimed->size++] = idx;
  }
  if (claimed->size > 0 && !fits_in_memory(d, ctx, claimed)) {
    for (int i = 0; i < d->n_records; ++i)
      if (!d->records[i].reason) d->records[i].reason = "not enough device memory";
    claimed->size = 0;
  }
  d->n_claimed = claimed->size;
  if (d->opts.base.verbose) {
    for (int i = 0; i < d->n_records; ++i) {
      const eqg_node_record* r = &d->records[i];
      fprintf(stderr, "edgeq gpu delegate: node %d %s: %s\n", r->node, r->op ? r->op : "(builtin)",
              r->reason ? r->reason : "claimed");
    }
  }
  report(d, ctx);
  static const eq_kernel_fns fns = {"EdgeqGpuDelegate", partition_init, partition_free, partition_prepare, partition_invoke};
  TfLiteStatus st = eq_replace_claimed(ctx, base, claimed, &fns);
  free(claimed);
  free(plan_copy);
  return st;
}

/* ------------------------------------------------------------------ plugin ABI */

EQG_EXPORT TfLiteDelegate* tflite_plugin_create_delegate(char** option_keys, char** option_values, size_t num_options,
                                                         void (*report_error)(const char*)) {
  /* ctypes passes num_options as a C int: only the low 32 bits are meaningful */
  const size_t n = (size_t)(unsigned int)num_options;
  eqg_delegate* d = calloc(1, sizeof(*d));
  char err[768] = {0};
  if (!d) {
    if (report_error) report_error("edgeq gpu delegate: out of memory");
    return NULL;
  }
  if (eqg_options_parse(&d->opts, (const char* const*)option_keys, (const char* const*)option_values, n, err,
                        sizeof(err)) != 0) {
    if (report_error) report_error(err);
    else fprintf(stderr, "%s\n", err);
    eqg_options_free(&d->opts);
    free(d);
    return NULL;
  }
  /* an explicitly requested platform/device that cannot be opened is a user error, reported
   * now; without one, a missing OpenCL stack only means the runtime keeps every node */
  if (d->opts.platform || d->opts.device) {
    const int rc = eqg_device_open(&d->dev, &d->opts, err, sizeof(err));
    if (rc == EQG_ERR_SELECTION) {
      char msg[900];
      snprintf(msg, sizeof(msg), "edgeq gpu delegate: %s", err);
      if (report_error) report_error(msg);
      else fprintf(stderr, "%s\n", msg);
      eqg_options_free(&d->opts);
      free(d);
      return NULL;
    }
    device_opened(d, rc, err);
  }
  d->base.data_ = d;
  d->base.Prepare = delegate_prepare;
  d->base.flags = kTfLiteDelegateFlagsNone;
  return &d->base;
}

EQG_EXPORT void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {
  if (!delegate) return;
  eqg_delegate* d = (eqg_delegate*)delegate;
  /* the runtime frees its partition kernels (partition_free) before it lets go of the delegate */
  if (d->dev_state == 1) eqg_device_close(&d->dev);
  free(d->records);
  eqg_options_free(&d->opts);
  free(d);
}
