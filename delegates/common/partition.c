/* The partition driver shared by the edgeq delegates. */
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

static TfLiteIntArray* int_array_new(int capacity) {
  TfLiteIntArray* c = malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)(capacity > 0 ? capacity : 0));
  if (c) c->size = 0;
  return c;
}

TfLiteIntArray* eq_int_array_copy(const TfLiteIntArray* a) {
  TfLiteIntArray* c = int_array_new(a ? a->size : 0);
  if (c && a) {
    c->size = a->size;
    memcpy(c->data, a->data, sizeof(int) * (size_t)a->size);
  }
  return c;
}

/* The claim record of one node; claimed nodes keep their tensor indices for the report. */
static int record(eq_claim* r, int idx, const TfLiteRegistration* reg, const TfLiteNode* node, const eq_op_info* op,
                  const char* why) {
  memset(r, 0, sizeof(*r));
  r->node = idx;
  r->builtin_code = reg->builtin_code;
  r->op = op ? op->name : NULL;
  r->reason = why;
  if (why) return 0;
  r->n_inputs = node->inputs->size;
  r->tensors = int_array_new(node->inputs->size + node->outputs->size);
  if (!r->tensors) return -1;
  memcpy(r->tensors->data, node->inputs->data, sizeof(int) * (size_t)node->inputs->size);
  memcpy(r->tensors->data + node->inputs->size, node->outputs->data, sizeof(int) * (size_t)node->outputs->size);
  r->tensors->size = node->inputs->size + node->outputs->size;
  return 0;
}

static TfLiteStatus replace(TfLiteContext* ctx, TfLiteDelegate* delegate, const TfLiteIntArray* claimed,
                            const eq_kernel_fns* fns) {
  if (claimed->size == 0) return kTfLiteOk;
  TfLiteRegistration r;
  memset(&r, 0, sizeof(r));
  r.init = fns->init;
  r.free = fns->free;
  r.prepare = fns->prepare;
  r.invoke = fns->invoke;
  r.builtin_code = kTfLiteBuiltinDelegate;
  r.custom_name = fns->name;
  r.version = 1;
  return ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, r, (TfLiteIntArray*)claimed, delegate);
}

TfLiteStatus eq_partition(TfLiteContext* ctx, TfLiteDelegate* delegate, const eq_partition_spec* spec,
                          eq_claims* claims) {
  eq_claims_clear(claims);
  TfLiteIntArray* plan = NULL;
  if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
  TfLiteIntArray* nodes = eq_int_array_copy(plan); /* the runtime's plan is invalidated by later calls */
  TfLiteIntArray* claimed = int_array_new(nodes ? nodes->size : 0);
  claims->items = nodes ? calloc((size_t)nodes->size + 1, sizeof(eq_claim)) : NULL;
  TfLiteStatus st = nodes && claimed && claims->items ? kTfLiteOk : kTfLiteError;
  for (int i = 0; st == kTfLiteOk && i < nodes->size; ++i) {
    const int idx = nodes->data[i];
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, idx, &node, &reg) != kTfLiteOk) continue;
    size_t slot = 0;
    const eq_op_info* op = eq_registry_find(spec->ops, reg->builtin_code, &slot);
    const char* why = NULL;
    if (!op) why = "op not implemented";
    else if (!spec->op_enabled[slot]) why = "disabled by the ops option";
    else why = op->check(ctx, node);
    if (!why) why = spec->unavailable;
    if (record(&claims->items[claims->count++], idx, reg, node, op, why) != 0) st = kTfLiteError;
    if (!why) claimed->data[claimed->size++] = idx;
  }
  if (st == kTfLiteOk && claimed->size > 0 && spec->decline) {
    const char** why = calloc((size_t)claimed->size, sizeof(const char*));
    if (!why) st = kTfLiteError;
    else {
      spec->decline(spec->arg, ctx, claimed, why);
      int kept = 0;
      for (int i = 0; i < claimed->size; ++i) {
        if (!why[i]) {
          claimed->data[kept++] = claimed->data[i];
          continue;
        }
        for (int c = 0; c < claims->count; ++c)
          if (claims->items[c].node == claimed->data[i]) claims->items[c].reason = why[i];
      }
      claimed->size = kept;
      free(why);
    }
  }
  const char* veto = st == kTfLiteOk && claimed->size > 0 && spec->vet ? spec->vet(spec->arg, ctx, claimed) : NULL;
  if (veto) {
    for (int i = 0; i < claims->count; ++i)
      if (!claims->items[i].reason) claims->items[i].reason = veto;
    claimed->size = 0;
  }
  if (st == kTfLiteOk) {
    if (spec->verbose) eq_claims_print(claims, spec->who, stderr);
    if (spec->report) spec->report(spec->arg, ctx);
    st = replace(ctx, delegate, claimed, &spec->kernel);
  }
  free(claimed);
  free(nodes);
  return st;
}

int eq_shape_guard_init(eq_shape_guard* g, const char* who, TfLiteContext* ctx, const TfLiteIntArray* inputs) {
  memset(g, 0, sizeof(*g));
  g->who = who;
  g->tensors = malloc(sizeof(int) * (size_t)(inputs->size + 1));
  g->dims = calloc((size_t)inputs->size + 1, sizeof(TfLiteIntArray*));
  if (!g->tensors || !g->dims) return -1;
  for (int i = 0; i < inputs->size; ++i) {
    const int t = inputs->data[i];
    if (t < 0 || eq_is_const(&ctx->tensors[t])) continue;
    if (!(g->dims[g->n] = eq_int_array_copy(ctx->tensors[t].dims))) return -1;
    g->tensors[g->n++] = t;
  }
  return 0;
}

static int dims_differ(const TfLiteIntArray* now, const TfLiteIntArray* then) {
  return !now || now->size != then->size || memcmp(now->data, then->data, sizeof(int) * (size_t)then->size) != 0;
}

int eq_shape_guard_changed(const eq_shape_guard* g, TfLiteContext* ctx) {
  for (int i = 0; i < g->n; ++i)
    if (dims_differ(ctx->tensors[g->tensors[i]].dims, g->dims[i])) return 1;
  return 0;
}

TfLiteStatus eq_shape_guard_prepare(TfLiteContext* ctx, TfLiteNode* node) {
  const eq_shape_guard* g = node->user_data;
  if (!g) return kTfLiteError;
  for (int i = 0; i < g->n; ++i) {
    const int t = g->tensors[i];
    if (dims_differ(ctx->tensors[t].dims, g->dims[i])) {
      ctx->ReportError(ctx,
                       "%s: input '%s' changed shape after delegation: create the interpreter with the new shape "
                       "(dynamic shapes are not supported)",
                       g->who, ctx->tensors[t].name ? ctx->tensors[t].name : "?");
      return kTfLiteError;
    }
  }
  return kTfLiteOk;
}

void eq_shape_guard_free(eq_shape_guard* g) {
  for (int i = 0; g->dims && i < g->n; ++i) free(g->dims[i]);
  free(g->dims);
  free(g->tensors);
  memset(g, 0, sizeof(*g));
}
