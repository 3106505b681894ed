/* The offload model (see offload.h). */
#include "offload.h"

#include <stdlib.h>
#include <string.h>

#include "fuse.h"
#include "tensor.h"

const char eqg_offload_declined[] =
    "declined by the offload model: its partition would take longer on the device (transfers, launches, "
    "compute) than on the CPU path it replaces (figures in the report's offload section; offload=all keeps it)";

void eqg_offload_rates_init(eqg_offload_rates* r, const TfLiteContext* ctx, double cpu_threads, double cpu_gops,
                            double device_gops, double launch_us, unsigned compute_units, unsigned clock_mhz) {
  memset(r, 0, sizeof(*r));
  r->sync_us = EQG_OFFLOAD_SYNC_US;
  r->transfer_us = EQG_OFFLOAD_TRANSFER_US;
  r->bytes_per_us = EQG_OFFLOAD_BYTES_PER_US;
  r->launch_us = launch_us > 0 ? launch_us : EQG_OFFLOAD_LAUNCH_US;
  if (device_gops > 0) {
    r->device_ops_per_us = device_gops * 1e3;
    r->device_rate_from = "option";
  } else {
    r->device_ops_per_us = (compute_units ? compute_units : 1) * (double)(clock_mhz ? clock_mhz : 1000) *
                           EQG_OFFLOAD_DEVICE_OPS_PER_CYCLE_CU;
    r->device_rate_from = "compute units x clock MHz x 128 ops x 18%";
  }
  /* not the runtime's num_threads: what runs a declined partition is the runtime's own kernels, which
   * need not scale with it (LiteRT 2.3's builtin kernels at 16 threads on the H200 host: MobileNetV2
   * 63 ms, edgeq-cpu 1.0 ms); an edgeq-cpu delegate stacked behind this one is worth its threads */
  (void)ctx;
  r->cpu_threads = cpu_threads > 0 ? cpu_threads : 1;
  r->threads_from = cpu_threads > 0 ? "option" : "default (one thread; cpu_threads or num_threads=N for a multithreaded CPU path)";
  r->cpu_ops_per_us = (cpu_gops > 0 ? cpu_gops : EQG_OFFLOAD_CPU_GOPS) * 1e3;
  r->cpu_elements_per_us = EQG_OFFLOAD_CPU_ELEMENTS_PER_US;
  r->cpu_bytes_per_us = EQG_OFFLOAD_CPU_BYTES_PER_US;
  r->cpu_node_us = EQG_OFFLOAD_CPU_NODE_US + EQG_OFFLOAD_CPU_NODE_US_PER_THREAD * (r->cpu_threads - 1);
}

static int find_root(int* parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/* Bytes of a CONV/DEPTHWISE/FC node's weight tensor (input 1): the CPU streams them from memory once
 * per invoke; 0 for the rest. */
static double weight_bytes(TfLiteContext* ctx, const TfLiteNode* node, int code) {
  if (code != kTfLiteBuiltinConv2d && code != kTfLiteBuiltinDepthwiseConv2d && code != kTfLiteBuiltinFullyConnected)
    return 0;
  if (node->inputs->size < 2 || node->inputs->data[1] < 0) return 0;
  return (double)ctx->tensors[node->inputs->data[1]].bytes;
}

/* 2 x multiply-adds for ops with a weight tensor (input 1): output elements x weights per output
 * channel; 0 for the rest. */
static double mac_ops(TfLiteContext* ctx, const TfLiteNode* node, int code) {
  if (code != kTfLiteBuiltinConv2d && code != kTfLiteBuiltinDepthwiseConv2d && code != kTfLiteBuiltinFullyConnected)
    return 0;
  if (node->inputs->size < 2 || node->outputs->size < 1 || node->inputs->data[1] < 0) return 0;
  const TfLiteTensor* w = &ctx->tensors[node->inputs->data[1]];
  const TfLiteTensor* y = &ctx->tensors[node->outputs->data[0]];
  const int r = eq_rank(y);
  if (r < 1 || eq_rank(w) < 1 || eq_dim(y, r - 1) <= 0) return 0;
  return 2.0 * (double)eq_numel(y) * ((double)eq_numel(w) / eq_dim(y, r - 1));
}

/* Kernel launches of group k as its partition will run them: its nodes less those fused into another's
 * kernel (fuse.h), the partition's outputs being the tensors read outside the group or by nobody. */
static int group_launches(TfLiteContext* ctx, const TfLiteIntArray* claimed, TfLiteNode* const* nodes,
                          const int* group_of, int k, const int* consumer, int nt, int n_nodes) {
  TfLiteIntArray* ids = malloc(sizeof(int) * ((size_t)n_nodes + 1));
  TfLiteIntArray* outs = malloc(sizeof(int) * ((size_t)claimed->size * 4 + 1));
  int runs = n_nodes;
  if (ids && outs) {
    ids->size = outs->size = 0;
    for (int i = 0; i < claimed->size; ++i) {
      if (group_of[i] != k) continue;
      ids->data[ids->size++] = claimed->data[i];
      for (int j = 0; j < nodes[i]->outputs->size && outs->size < claimed->size * 4; ++j) {
        const int t = nodes[i]->outputs->data[j];
        if (t >= 0 && t < nt && (consumer[t] == -2 || consumer[t] == -1)) outs->data[outs->size++] = t;
      }
    }
    runs = eqg_fused_launches(ctx, ids, outs);
  }
  free(ids);
  free(outs);
  return runs;
}

void eqg_offload_decide(TfLiteContext* ctx, const TfLiteIntArray* claimed, const eqg_offload_rates* rates,
                        const char** why, eqg_offload* o) {
  memset(o, 0, sizeof(*o));
  o->rates = *rates;
  const eqg_offload_rates* r = rates;
  const int nc = claimed->size, nt = (int)ctx->tensors_size;
  int* parent = malloc(sizeof(int) * (size_t)(nc + 1));
  int* producer = malloc(sizeof(int) * (size_t)(nt + 1)); /* claimed index producing tensor t, or -1 */
  int* consumer = malloc(sizeof(int) * (size_t)(nt + 1)); /* group root reading t: -1 none, -2 several/unclaimed */
  int* group_of = calloc((size_t)nc + 1, sizeof(int));
  o->groups = calloc((size_t)nc + 1, sizeof(eqg_offload_group));
  TfLiteNode** nodes = calloc((size_t)nc + 1, sizeof(TfLiteNode*));
  int* codes = calloc((size_t)nc + 1, sizeof(int));
  TfLiteIntArray* plan = NULL;
  if (!parent || !producer || !consumer || !group_of || !o->groups || !nodes || !codes ||
      ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk)
    goto done; /* out of memory: keep everything */
  for (int t = 0; t < nt; ++t) producer[t] = -1, consumer[t] = -1;
  for (int i = 0; i < nc; ++i) {
    TfLiteRegistration* reg = NULL;
    parent[i] = i;
    if (ctx->GetNodeAndRegistration(ctx, claimed->data[i], &nodes[i], &reg) != kTfLiteOk) goto done;
    codes[i] = reg->builtin_code;
    for (int j = 0; j < nodes[i]->outputs->size; ++j)
      if (nodes[i]->outputs->data[j] >= 0) producer[nodes[i]->outputs->data[j]] = i;
  }
  /* groups: claimed nodes joined by a tensor one produces and the other reads */
  for (int i = 0; i < nc; ++i)
    for (int j = 0; j < nodes[i]->inputs->size; ++j) {
      const int t = nodes[i]->inputs->data[j];
      if (t >= 0 && producer[t] >= 0) parent[find_root(parent, i)] = find_root(parent, producer[t]);
    }
  /* readers of each tensor: a node outside the claimed set (or two groups) means a readback */
  unsigned char* is_claimed = calloc((size_t)nt + 1, 1); /* reused below as a per-tensor "seen" mark */
  if (!is_claimed) goto done;
  for (int p = 0; p < plan->size; ++p) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, plan->data[p], &node, &reg) != kTfLiteOk) continue;
    int ci = -1;
    for (int i = 0; i < nc && ci < 0; ++i)
      if (claimed->data[i] == plan->data[p]) ci = i;
    const int g = ci >= 0 ? find_root(parent, ci) : -2;
    for (int j = 0; j < node->inputs->size; ++j) {
      const int t = node->inputs->data[j];
      if (t < 0) continue;
      consumer[t] = consumer[t] == -1 || consumer[t] == g ? g : -2;
    }
  }
  for (int i = 0; i < nc; ++i) {
    const int r = find_root(parent, i);
    int k = 0;
    while (k < o->n && o->groups[k].first_node != claimed->data[r]) ++k;
    if (k == o->n) o->groups[o->n++].first_node = claimed->data[r];
    group_of[i] = k;
  }
  for (int k = 0; k < o->n; ++k) {
    eqg_offload_group* g = &o->groups[k];
    memset(is_claimed, 0, (size_t)nt);
    int root = -1;
    double cpu_mac_us = 0;
    for (int i = 0; i < nc; ++i) {
      if (group_of[i] != k) continue;
      if (root < 0) root = find_root(parent, i), g->first_node = claimed->data[i];
      g->n_nodes++;
      const double ops = mac_ops(ctx, nodes[i], codes[i]), wb = weight_bytes(ctx, nodes[i], codes[i]);
      g->mac_ops += ops;
      g->weight_bytes += wb;
      /* per node, the slower of its arithmetic and its weights' memory traffic (one thread) */
      cpu_mac_us += ops / r->cpu_ops_per_us > wb / r->cpu_bytes_per_us ? ops / r->cpu_ops_per_us : wb / r->cpu_bytes_per_us;
      for (int pass = 0; pass < 2; ++pass) {
        const TfLiteIntArray* ts = pass ? nodes[i]->outputs : nodes[i]->inputs;
        for (int j = 0; j < ts->size; ++j) {
          const int t = ts->data[j];
          if (t < 0 || is_claimed[t]) continue;
          is_claimed[t] = 1;
          const TfLiteTensor* x = &ctx->tensors[t];
          if (eq_is_const(x)) continue;
          if (codes[i] != kTfLiteBuiltinReshape || pass) g->elements += (double)eq_numel(x);
          if (!pass && producer[t] < 0) g->n_in++, g->bytes_in += (double)x->bytes;
          /* read back: read outside the group, or by nobody (a model output) */
          if (pass && (consumer[t] == -2 || consumer[t] == -1)) g->n_out++, g->bytes_out += (double)x->bytes;
        }
      }
    }
    g->launches = group_launches(ctx, claimed, nodes, group_of, k, consumer, nt, g->n_nodes);
    g->device_compute_us = g->mac_ops / r->device_ops_per_us;
    g->device_us = r->sync_us + (g->n_in + g->n_out) * r->transfer_us + (g->bytes_in + g->bytes_out) / r->bytes_per_us +
                   g->launches * r->launch_us + g->device_compute_us;
    g->cpu_us = (cpu_mac_us + g->elements / r->cpu_elements_per_us) / r->cpu_threads +
                g->n_nodes * r->cpu_node_us;
    g->kept = g->device_us < g->cpu_us;
    for (int i = 0; i < nc; ++i)
      if (group_of[i] == k && !g->kept) why[i] = eqg_offload_declined;
  }
  free(is_claimed);
done:
  free(parent);
  free(producer);
  free(consumer);
  free(group_of);
  free(nodes);
  free(codes);
}

void eqg_offload_free(eqg_offload* o) {
  free(o->groups);
  memset(o, 0, sizeof(*o));
}
