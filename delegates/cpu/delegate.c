/* libedgeq_cpu: TFLite external delegate entry points, graph partitioning and the
 * delegate kernel that runs a partition of claimed nodes with edgeq's int8 ops.
 *
 * Tensors produced and consumed only inside a partition are not allocated by the runtime
 * (its arena plans only the delegate node's inputs/outputs), so the kernel owns buffers
 * for them. Shapes are static: they are fixed when the kernel is built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeq/tflite_c_abi.h"
#include "cpu_op.h"
#include "cpu_options.h"
#include "partition.h"
#include "threadpool.h"
#include "profile.h"
#include "report.h"

#if defined(_WIN32)
#define EQ_EXPORT __declspec(dllexport)
#else
#define EQ_EXPORT __attribute__((visibility("default")))
#endif

typedef struct {
  TfLiteDelegate base; /* first: the runtime hands us a TfLiteDelegate* */
  eq_cpu_options opts;
} eq_delegate;

typedef struct {
  const eq_op_kind* kind;
  void* state;
  int n_in, n_out;
  int* in_idx;
  int* out_idx;
  const void** in_ptr;
  void** out_ptr;
} eq_node;

typedef struct {
  int n_nodes;
  eq_node* nodes;
  int n_internal;
  int* internal_idx;  /* tensors living only inside this partition */
  void** internal_buf;
  int n_inputs;
  int* input_idx;     /* partition inputs and their shapes at build time */
  TfLiteIntArray** input_dims;
  eq_pool* pool;
  eq_profile* profile; /* NULL unless EDGEQ_CPU_PROFILE=1 */
} eq_kernel;

static int contains(const TfLiteIntArray* a, int v) {
  for (int i = 0; i < a->size; ++i)
    if (a->data[i] == v) return 1;
  return 0;
}

static void kernel_free(TfLiteContext* ctx, void* buffer) {
  (void)ctx;
  eq_kernel* k = buffer;
  if (!k) return;
  eq_profile_finish(k->profile);
  eq_pool_destroy(k->pool);
  for (int i = 0; k->nodes && i < k->n_nodes; ++i) {
    eq_node* n = &k->nodes[i];
    if (n->kind && n->state) n->kind->destroy(n->state);
    free(n->in_idx);
    free(n->out_idx);
    free(n->in_ptr);
    free(n->out_ptr);
  }
  free(k->nodes);
  for (int i = 0; i < k->n_internal; ++i) free(k->internal_buf[i]);
  free(k->internal_idx);
  free(k->internal_buf);
  for (int i = 0; i < k->n_inputs; ++i) free(k->input_dims[i]);
  free(k->input_idx);
  free(k->input_dims);
  free(k);
}

static void* kernel_init(TfLiteContext* ctx, const char* buffer, size_t length) {
  (void)length;
  const TfLiteDelegateParams* params = (const TfLiteDelegateParams*)buffer;
  const eq_delegate* d = (const eq_delegate*)params->delegate;
  eq_kernel* k = calloc(1, sizeof(*k));
  if (!k) return NULL;
  k->pool = eq_pool_create(d->opts.num_threads);
  k->n_nodes = params->nodes_to_replace->size;
  k->profile = eq_profile_create(k->n_nodes);
  k->nodes = calloc((size_t)k->n_nodes, sizeof(eq_node));
  if (!k->pool || !k->nodes) goto fail;
  int max_internal = 0;
  for (int i = 0; i < k->n_nodes; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, params->nodes_to_replace->data[i], &node, &reg) != kTfLiteOk) goto fail;
    eq_node* n = &k->nodes[i];
    const eq_op_info* info = eq_registry_find(&eq_cpu_ops, reg->builtin_code, NULL);
    n->kind = info ? eq_op_kind_of(info) : NULL;
    if (!n->kind) goto fail;
    n->n_in = node->inputs->size;
    n->n_out = node->outputs->size;
    n->in_idx = malloc(sizeof(int) * (size_t)(n->n_in + 1));
    n->out_idx = malloc(sizeof(int) * (size_t)(n->n_out + 1));
    n->in_ptr = calloc((size_t)n->n_in + 1, sizeof(void*));
    n->out_ptr = calloc((size_t)n->n_out + 1, sizeof(void*));
    if (!n->in_idx || !n->out_idx || !n->in_ptr || !n->out_ptr) goto fail;
    memcpy(n->in_idx, node->inputs->data, sizeof(int) * (size_t)n->n_in);
    memcpy(n->out_idx, node->outputs->data, sizeof(int) * (size_t)n->n_out);
    max_internal += n->n_out;
    n->state = (d->opts.fast && n->kind->create_fast ? n->kind->create_fast : n->kind->create)(
        ctx, node, d->opts.num_threads);
    if (!n->state) {
      ctx->ReportError(ctx, "edgeq cpu delegate: could not set up %s (node %d): out of memory or invalid weights",
                       n->kind->info.name, params->nodes_to_replace->data[i]);
      goto fail;
    }
  }
  k->internal_idx = malloc(sizeof(int) * (size_t)(max_internal + 1));
  k->internal_buf = calloc((size_t)max_internal + 1, sizeof(void*));
  if (!k->internal_idx || !k->internal_buf) goto fail;
  for (int i = 0; i < k->n_nodes; ++i) {
    for (int o = 0; o < k->nodes[i].n_out; ++o) {
      int t = k->nodes[i].out_idx[o];
      if (t < 0 || contains(params->output_tensors, t)) continue;
      size_t bytes = ctx->tensors[t].bytes;
      k->internal_idx[k->n_internal] = t;
      k->internal_buf[k->n_internal] = malloc(bytes ? bytes : 1);
      if (!k->internal_buf[k->n_internal]) goto fail;
      k->n_internal++;
    }
  }
  const int n_inputs = params->input_tensors->size;
  k->input_idx = malloc(sizeof(int) * (size_t)(n_inputs + 1));
  k->input_dims = calloc((size_t)n_inputs + 1, sizeof(TfLiteIntArray*));
  if (!k->input_idx || !k->input_dims) goto fail;
  for (int i = 0; i < n_inputs; ++i) {
    int t = params->input_tensors->data[i];
    k->input_idx[i] = t;
    k->input_dims[i] = eq_int_array_copy(t >= 0 ? ctx->tensors[t].dims : NULL);
    if (!k->input_dims[i]) goto fail;
    k->n_inputs = i + 1; /* kernel_free releases what exists so far */
  }
  return k;
fail:
  kernel_free(ctx, k);
  return NULL;
}

static TfLiteStatus kernel_prepare(TfLiteContext* ctx, TfLiteNode* node) {
  eq_kernel* k = node->user_data;
  if (!k) return kTfLiteError;
  for (int i = 0; i < k->n_inputs; ++i) {
    int t = k->input_idx[i];
    if (t < 0) continue;
    const TfLiteIntArray* now = ctx->tensors[t].dims;
    const TfLiteIntArray* then = k->input_dims[i];
    if (!now || now->size != then->size || memcmp(now->data, then->data, sizeof(int) * (size_t)then->size) != 0) {
      ctx->ReportError(ctx,
                       "edgeq cpu delegate: input '%s' changed shape after delegation: create the interpreter "
                       "with the new shape (dynamic shapes are not supported)",
                       ctx->tensors[t].name ? ctx->tensors[t].name : "?");
      return kTfLiteError;
    }
  }
  return kTfLiteOk;
}

static void* tensor_data(TfLiteContext* ctx, const eq_kernel* k, int t) {
  if (t < 0) return NULL;
  for (int i = 0; i < k->n_internal; ++i)
    if (k->internal_idx[i] == t) return k->internal_buf[i];
  return ctx->tensors[t].data.raw;
}

static TfLiteStatus kernel_invoke(TfLiteContext* ctx, TfLiteNode* node) {
  eq_kernel* k = node->user_data;
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* n = &k->nodes[i];
    for (int j = 0; j < n->n_in; ++j) n->in_ptr[j] = tensor_data(ctx, k, n->in_idx[j]);
    for (int j = 0; j < n->n_out; ++j) n->out_ptr[j] = tensor_data(ctx, k, n->out_idx[j]);
    const uint64_t t0 = k->profile ? eq_profile_now_ns() : 0;
    TfLiteStatus st = n->kind->eval(n->state, n->in_ptr, n->out_ptr, k->pool);
    if (k->profile) eq_profile_add(k->profile, i, n->kind->info.name, eq_profile_now_ns() - t0);
    if (st != kTfLiteOk) {
      ctx->ReportError(ctx, "edgeq cpu delegate: %s failed", n->kind->info.name);
      return st;
    }
  }
  if (k->profile) eq_profile_invoke_done(k->profile);
  return kTfLiteOk;
}

static TfLiteStatus delegate_prepare(TfLiteContext* ctx, TfLiteDelegate* base) {
  eq_delegate* d = (eq_delegate*)base;
  TfLiteIntArray* plan = NULL;
  if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
  TfLiteIntArray* plan_copy = eq_int_array_copy(plan); /* the runtime's plan is invalidated by later calls */
  TfLiteIntArray* claimed = eq_int_array_new(plan_copy ? plan_copy->size : 0);
  eq_report* rep = eq_report_begin(d->opts.num_threads);
  eq_report_set_mode(rep, d->opts.fast ? "fast" : "exact");
  if (!plan_copy || !claimed || !rep) {
    free(plan_copy);
    free(claimed);
    eq_report_free(rep);
    return kTfLiteError;
  }
  for (int i = 0; i < plan_copy->size; ++i) {
    const int idx = plan_copy->data[i];
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, idx, &node, &reg) != kTfLiteOk) continue;
    size_t slot = 0;
    const eq_op_info* kind = eq_registry_find(&eq_cpu_ops, reg->builtin_code, &slot);
    const char* why = NULL;
    if (!kind) why = "op not implemented";
    else if (!d->opts.base.op_enabled[slot]) why = "disabled by the ops option";
    else why = kind->check(ctx, node);
    if (why) {
      eq_report_rejected(rep, idx, reg->builtin_code, kind ? kind->name : NULL, why);
    } else {
      claimed->data[claimed->size++] = idx;
      eq_report_claimed(rep, ctx, idx, kind->name, node);
    }
  }
  if (d->opts.base.verbose) eq_report_print(rep, stderr);
  if (d->opts.base.report_path && eq_report_write(rep, d->opts.base.report_path) != 0) {
    ctx->ReportError(ctx, "edgeq cpu delegate: cannot write report_path '%s': check the folder exists and is writable",
                     d->opts.base.report_path);
  }
  eq_report_free(rep);
  static const eq_kernel_fns fns = {"EdgeqCpuDelegate", kernel_init, kernel_free, kernel_prepare, kernel_invoke};
  TfLiteStatus st = eq_replace_claimed(ctx, base, claimed, &fns);
  free(claimed);
  free(plan_copy);
  return st;
}

EQ_EXPORT TfLiteDelegate* tflite_plugin_create_delegate(char** option_keys, char** option_values, size_t num_options,
                                                        void (*report_error)(const char*)) {
  /* ctypes passes num_options as a C int: only the low 32 bits are meaningful */
  size_t n = (size_t)(unsigned int)num_options;
  eq_delegate* d = calloc(1, sizeof(*d));
  char err[768] = {0};
  if (!d) {
    if (report_error) report_error("edgeq cpu delegate: out of memory");
    return NULL;
  }
  if (eq_cpu_options_parse(&d->opts, (const char* const*)option_keys, (const char* const*)option_values, n, err,
                       sizeof(err)) != 0) {
    if (report_error) report_error(err);
    else fprintf(stderr, "%s\n", err);
    eq_cpu_options_free(&d->opts);
    free(d);
    return NULL;
  }
  d->base.data_ = d;
  d->base.Prepare = delegate_prepare;
  d->base.flags = kTfLiteDelegateFlagsNone;
  return &d->base;
}

EQ_EXPORT void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {
  if (!delegate) return;
  eq_delegate* d = (eq_delegate*)delegate;
  eq_cpu_options_free(&d->opts);
  free(d);
}
