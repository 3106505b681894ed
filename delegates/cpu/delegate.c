/* libedgeq_cpu: TFLite external delegate entry points, graph partitioning and the
 * delegate kernel that runs a partition of claimed nodes with edgeq's int8 ops.
 *
 * Tensors produced and consumed only inside a partition are not allocated by the runtime
 * (its arena plans only the delegate node's inputs/outputs), so the kernel owns buffers
 * for them. Shapes are static while a kernel runs: the delegate allows dynamic tensors (so graphs
 * with run-time shape chains load), which means the runtime no longer re-delegates on a resize;
 * when a partition's inputs change shape, its kernel computes the new shapes (shapes.c) and
 * rebuilds its nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "cpu_op.h"
#include "cpu_options.h"
#include "edgeq/tflite_c_abi.h"
#include "partition.h"
#include "plugin.h"
#include "fuse.h"
#include "profile.h"
#include "shapes.h"
#include "threadpool.h"

#define WHO "edgeq cpu delegate"

typedef struct {
  TfLiteDelegate base; /* first: the runtime hands us a TfLiteDelegate* */
  eq_cpu_options opts;
  eq_claims claims;    /* of the last partitioning, for the report */
} eq_delegate;

typedef struct {
  const eq_op_kind* kind;
  TfLiteNode node; /* the replaced node with our own copies of its tensor lists (rebuilds) */
  int code;
  void* state;
  int n_in, n_out;
  int* in_idx;
  int* out_idx;
  int* in_slot; /* index into the kernel's internal buffers, or -1: the runtime's tensor */
  int* out_slot;
  const void** in_ptr;
  void** out_ptr;
} eq_node;

typedef struct {
  eq_shape_guard inputs; /* first (eq_shape_guard_prepare): partition input shapes at build time */
  int n_nodes;
  eq_node* nodes;
  int n_internal;
  int* internal_idx;  /* tensors living only inside this partition */
  void** internal_buf;
  eq_pool* pool;
  eq_profile* profile; /* NULL unless EDGEQ_CPU_PROFILE=1 */
  int fast, num_threads;
  TfLiteIntArray* outputs; /* the partition's output tensors */
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
    free(n->in_slot);
    free(n->out_slot);
    free(n->node.inputs);
    free(n->node.outputs);
    free(n->in_ptr);
    free(n->out_ptr);
  }
  free(k->nodes);
  for (int i = 0; i < k->n_internal; ++i) free(k->internal_buf[i]);
  free(k->internal_idx);
  free(k->internal_buf);
  eq_shape_guard_free(&k->inputs);
  free(k->outputs);
  free(k);
}

static void* create_state(const eq_kernel* k, const eq_node* n, TfLiteContext* ctx) {
  return (k->fast && n->kind->create_fast ? n->kind->create_fast : n->kind->create)(ctx, &n->node, k->num_threads);
}

extern const eq_op_kind eq_op_mul, eq_op_pad, eq_op_max_pool2d;

static void fuse_pad_maxpool(eq_kernel* k, TfLiteContext* ctx, const TfLiteIntArray* partition_outputs);

/* Swish pairs (fuse.h): LOGISTIC i whose output only MUL j reads, j multiplying it by i's input
 * over the same number of elements; the output is not the partition's. */
static int fuse(eq_kernel* k, TfLiteContext* ctx, const TfLiteIntArray* partition_outputs) {
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* l = &k->nodes[i];
    if (l->code != kTfLiteBuiltinLogistic || l->kind == &eq_op_fused_away || contains(partition_outputs, l->out_idx[0]))
      continue;
    const int x = l->in_idx[0], sg = l->out_idx[0];
    int reader = -1, readers = 0;
    for (int j = 0; j < k->n_nodes; ++j)
      for (int t = 0; t < k->nodes[j].n_in; ++t)
        if (k->nodes[j].in_idx[t] == sg) reader = j, ++readers;
    if (readers != 1 || k->nodes[reader].code != kTfLiteBuiltinMul || k->nodes[reader].kind != &eq_op_mul) continue;
    eq_node* m = &k->nodes[reader];
    const int x_first = m->in_idx[0] == x && m->in_idx[1] == sg;
    if (!x_first && !(m->in_idx[0] == sg && m->in_idx[1] == x)) continue;
    const size_t n = eq_numel(&ctx->tensors[x]);
    if (eq_numel(&ctx->tensors[m->out_idx[0]]) != n) continue;
    void* st = eq_fused_swish_create(ctx, &l->node, &m->node, n);
    if (!st) return -1;
    m->kind->destroy(m->state);
    m->kind = &eq_op_fused_lut;
    m->state = st;
    m->in_idx[0] = m->in_idx[1] = x;
    l->kind->destroy(l->state);
    l->kind = &eq_op_fused_away;
    l->state = NULL;
  }
  fuse_pad_maxpool(k, ctx, partition_outputs);
  return 0;
}

/* PAD + MAX_POOL_2D pairs (fuse.h): PAD i whose output only MAX_POOL_2D j reads, not the partition's output. */
static void fuse_pad_maxpool(eq_kernel* k, TfLiteContext* ctx, const TfLiteIntArray* partition_outputs) {
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* pd = &k->nodes[i];
    if (pd->code != kTfLiteBuiltinPad || pd->kind != &eq_op_pad || contains(partition_outputs, pd->out_idx[0])) continue;
    const int padded = pd->out_idx[0];
    int reader = -1, readers = 0;
    for (int j = 0; j < k->n_nodes; ++j)
      for (int t = 0; t < k->nodes[j].n_in; ++t)
        if (k->nodes[j].in_idx[t] == padded) reader = j, ++readers;
    if (readers != 1 || k->nodes[reader].kind != &eq_op_max_pool2d || k->nodes[reader].in_idx[0] != padded) continue;
    eq_node* m = &k->nodes[reader];
    void* st = eq_fused_pad_maxpool_create(ctx, &pd->node, &m->node);
    if (!st) continue; /* not of the fused form: both run */
    m->kind->destroy(m->state);
    m->kind = &eq_op_fused_pad_maxpool;
    m->state = st;
    m->in_idx[0] = pd->in_idx[0];
    pd->kind->destroy(pd->state);
    pd->kind = &eq_op_fused_pad_away;
    pd->state = NULL;
  }
}

static int internal_slot(const eq_kernel* k, int t) {
  for (int i = 0; i < k->n_internal; ++i)
    if (k->internal_idx[i] == t) return i;
  return -1;
}

/* Which tensors the kernel owns, looked up once (after fusion moved inputs), not per invoke. */
static void bind_slots(eq_kernel* k) {
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* n = &k->nodes[i];
    for (int j = 0; j < n->n_in; ++j) n->in_slot[j] = internal_slot(k, n->in_idx[j]);
    for (int j = 0; j < n->n_out; ++j) n->out_slot[j] = internal_slot(k, n->out_idx[j]);
  }
}

static void* kernel_init(TfLiteContext* ctx, const char* buffer, size_t length) {
  (void)length;
  const TfLiteDelegateParams* params = (const TfLiteDelegateParams*)buffer;
  const eq_delegate* d = (const eq_delegate*)params->delegate;
  eq_kernel* k = calloc(1, sizeof(*k));
  if (!k) return NULL;
  k->fast = d->opts.fast;
  k->num_threads = d->opts.num_threads;
  k->pool = eq_pool_create(d->opts.num_threads);
  k->n_nodes = params->nodes_to_replace->size;
  k->profile = eq_profile_create(k->n_nodes, params->nodes_to_replace->data, d->opts.profile_path,
                                 d->opts.profile_thread_clock);
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
    n->in_slot = malloc(sizeof(int) * (size_t)(n->n_in + 1));
    n->out_slot = malloc(sizeof(int) * (size_t)(n->n_out + 1));
    n->in_ptr = calloc((size_t)n->n_in + 1, sizeof(void*));
    n->out_ptr = calloc((size_t)n->n_out + 1, sizeof(void*));
    if (!n->in_idx || !n->out_idx || !n->in_slot || !n->out_slot || !n->in_ptr || !n->out_ptr) goto fail;
    memcpy(n->in_idx, node->inputs->data, sizeof(int) * (size_t)n->n_in);
    memcpy(n->out_idx, node->outputs->data, sizeof(int) * (size_t)n->n_out);
    n->node = *node;
    n->node.inputs = eq_int_array_copy(node->inputs);
    n->node.outputs = eq_int_array_copy(node->outputs);
    n->code = reg->builtin_code;
    if (!n->node.inputs || !n->node.outputs) goto fail;
    max_internal += n->n_out;
    n->state = create_state(k, n, ctx);
    if (!n->state) {
      ctx->ReportError(ctx, WHO ": could not set up %s (node %d): out of memory or invalid weights",
                       n->kind->info.name, params->nodes_to_replace->data[i]);
      goto fail;
    }
  }
  if (fuse(k, ctx, params->output_tensors) != 0) goto fail;
  k->outputs = eq_int_array_copy(params->output_tensors);
  if (!k->outputs) goto fail;
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
  if (eq_shape_guard_init(&k->inputs, WHO, ctx, params->input_tensors) != 0) goto fail;
  bind_slots(k);
  return k;
fail:
  kernel_free(ctx, k);
  return NULL;
}

static TfLiteStatus resize(TfLiteContext* ctx, int t, const int* dims, int rank) {
  TfLiteTensor* tensor = &ctx->tensors[t];
  if (tensor->dims && tensor->dims->size == rank && !memcmp(tensor->dims->data, dims, sizeof(int) * (size_t)rank))
    return kTfLiteOk;
  TfLiteIntArray* a = malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)(rank > 0 ? rank : 1));
  if (!a) return kTfLiteError;
  a->size = rank;
  memcpy(a->data, dims, sizeof(int) * (size_t)rank);
  return ctx->ResizeTensor(ctx, tensor, a); /* takes ownership of a */
}

/* The partition's inputs changed shape since its nodes were built: every node's output shape
 * is computed again in order and each node rebuilt for it, internal buffers resized. */
static TfLiteStatus rebuild(TfLiteContext* ctx, eq_kernel* k) {
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* n = &k->nodes[i];
    int dims[EQ_SHAPE_MAX_RANK], rank = 0;
    const char* why = eq_cpu_output_shape(ctx, n->code, &n->node, dims, &rank);
    const char* check = NULL;
    if (!why && resize(ctx, n->out_idx[0], dims, rank) != kTfLiteOk) why = "out of memory";
    const eq_op_kind* kind = eq_op_kind_of(eq_registry_find(&eq_cpu_ops, n->code, NULL)); /* unfused */
    if (!why) check = kind->info.check(ctx, &n->node);
    if (why || check) {
      ctx->ReportError(ctx, WHO ": %s (partition node %d) cannot follow the new input shape: %s", n->kind->info.name,
                       i, why ? why : check);
      return kTfLiteError;
    }
    n->kind->destroy(n->state);
    n->kind = kind;
    memcpy(n->in_idx, n->node.inputs->data, sizeof(int) * (size_t)n->n_in);
    if (!(n->state = create_state(k, n, ctx))) {
      ctx->ReportError(ctx, WHO ": could not set up %s for the new input shape: out of memory", n->kind->info.name);
      return kTfLiteError;
    }
  }
  if (fuse(k, ctx, k->outputs) != 0) return kTfLiteError;
  bind_slots(k);
  for (int i = 0; i < k->n_internal; ++i) {
    const size_t bytes = ctx->tensors[k->internal_idx[i]].bytes;
    void* p = realloc(k->internal_buf[i], bytes ? bytes : 1);
    if (!p) return kTfLiteError;
    k->internal_buf[i] = p;
  }
  TfLiteIntArray* inputs = malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)(k->inputs.n + 1));
  if (!inputs) return kTfLiteError;
  inputs->size = k->inputs.n;
  memcpy(inputs->data, k->inputs.tensors, sizeof(int) * (size_t)k->inputs.n);
  eq_shape_guard_free(&k->inputs);
  const int rc = eq_shape_guard_init(&k->inputs, WHO, ctx, inputs);
  free(inputs);
  return rc == 0 ? kTfLiteOk : kTfLiteError;
}

static TfLiteStatus kernel_prepare(TfLiteContext* ctx, TfLiteNode* node) {
  eq_kernel* k = node->user_data;
  if (!k) return kTfLiteError;
  return eq_shape_guard_changed(&k->inputs, ctx) ? rebuild(ctx, k) : kTfLiteOk;
}

/* The runtime may move its tensors between invokes (arena reallocation): read their address each time. */
static void* tensor_data(TfLiteContext* ctx, const eq_kernel* k, int t, int slot) {
  if (slot >= 0) return k->internal_buf[slot];
  return t < 0 ? NULL : ctx->tensors[t].data.raw;
}

static TfLiteStatus kernel_invoke(TfLiteContext* ctx, TfLiteNode* node) {
  eq_kernel* k = node->user_data;
  for (int i = 0; i < k->n_nodes; ++i) {
    eq_node* n = &k->nodes[i];
    for (int j = 0; j < n->n_in; ++j) n->in_ptr[j] = tensor_data(ctx, k, n->in_idx[j], n->in_slot[j]);
    for (int j = 0; j < n->n_out; ++j) n->out_ptr[j] = tensor_data(ctx, k, n->out_idx[j], n->out_slot[j]);
    const uint64_t t0 = k->profile ? eq_profile_now_ns(k->profile) : 0;
    TfLiteStatus st = n->kind->eval(n->state, n->in_ptr, n->out_ptr, k->pool);
    if (k->profile) eq_profile_add(k->profile, i, n->kind->info.name, eq_profile_now_ns(k->profile) - t0);
    if (st != kTfLiteOk) {
      ctx->ReportError(ctx, WHO ": %s failed", n->kind->info.name);
      return st;
    }
  }
  if (k->profile) eq_profile_invoke_done(k->profile);
  return kTfLiteOk;
}

static void write_report(FILE* f, TfLiteContext* ctx, const void* arg) {
  const eq_delegate* d = arg;
  fprintf(f, "{\n  \"delegate\": \"edgeq_cpu\",\n  \"num_threads\": %d,\n  \"mode\": \"%s\",\n  ", d->opts.num_threads,
          d->opts.fast ? "fast" : "exact");
  eq_claims_write_json(&d->claims, ctx, f);
  fputs("\n}\n", f);
}

static void report(void* arg, TfLiteContext* ctx) {
  eq_delegate* d = arg;
  if (!d->opts.base.report_path) return;
  eq_report_write(ctx, WHO, d->opts.base.report_path, write_report, d);
}

static TfLiteStatus delegate_prepare(TfLiteContext* ctx, TfLiteDelegate* base) {
  eq_delegate* d = (eq_delegate*)base;
  const eq_partition_spec spec = {WHO,    &eq_cpu_ops, d->opts.base.op_enabled, d->opts.base.verbose, NULL, NULL,
                                  report, d,
                                  {"EdgeqCpuDelegate", kernel_init, kernel_free, kernel_prepare, kernel_invoke},
                                  NULL};
  return eq_partition(ctx, base, &spec, &d->claims);
}

static int configure(TfLiteDelegate* base, const char* const* keys, const char* const* values, size_t n, char* err,
                     size_t errlen) {
  return eq_cpu_options_parse(&((eq_delegate*)base)->opts, keys, values, n, err, errlen);
}

static void release(TfLiteDelegate* base) {
  eq_delegate* d = (eq_delegate*)base;
  eq_cpu_options_free(&d->opts);
  eq_claims_clear(&d->claims);
}

static const eq_plugin kPlugin = {WHO, sizeof(eq_delegate), configure, release, delegate_prepare,
                                  kTfLiteDelegateFlagsAllowDynamicTensors};

EQ_DEFINE_PLUGIN(kPlugin)
