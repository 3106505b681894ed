/* Elementwise fusion inside a GPU partition (fuse.h). */
#include "fuse.h"

#include "tensor.h"

/* Nodes of the partition that read tensor t (readers outside it make t a partition output). */
static int readers(TfLiteContext* ctx, const TfLiteIntArray* nodes, int t) {
  int n = 0;
  for (int p = 0; p < nodes->size; ++p) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, nodes->data[p], &node, &reg) != kTfLiteOk) return -1;
    for (int j = 0; j < node->inputs->size; ++j) n += node->inputs->data[j] == t;
  }
  return n;
}

static int contains(const TfLiteIntArray* a, int v) {
  for (int i = 0; i < a->size; ++i)
    if (a->data[i] == v) return 1;
  return 0;
}

void eqg_find_fusions(TfLiteContext* ctx, const TfLiteDelegateParams* params, int* logistic_of, eqg_fuse_kind* kind) {
  const TfLiteIntArray* nodes = params->nodes_to_replace;
  int* swish_of = logistic_of;
  for (int j = 0; j < nodes->size; ++j) swish_of[j] = -1, kind[j] = EQG_FUSE_NONE;
  for (int j = 0; j < nodes->size; ++j) {
    TfLiteNode* mul = NULL;
    TfLiteRegistration* mreg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, nodes->data[j], &mul, &mreg) != kTfLiteOk) continue;
    if (mreg->builtin_code != kTfLiteBuiltinMul || mul->inputs->size != 2) continue;
    for (int i = 0; i < nodes->size && swish_of[j] < 0; ++i) {
      TfLiteNode* lg = NULL;
      TfLiteRegistration* lreg = NULL;
      if (i == j || ctx->GetNodeAndRegistration(ctx, nodes->data[i], &lg, &lreg) != kTfLiteOk) continue;
      if (lreg->builtin_code != kTfLiteBuiltinLogistic) continue;
      const int x = lg->inputs->data[0], s = lg->outputs->data[0];
      const int a = mul->inputs->data[0], b = mul->inputs->data[1];
      if ((a != s && b != s) || a == b || x == s) continue;
      if (contains(params->output_tensors, s) || readers(ctx, nodes, s) != 1) continue;
      const size_t n = eq_numel(&ctx->tensors[x]);
      const int same = eq_numel(&ctx->tensors[s]) == n && eq_numel(&ctx->tensors[mul->outputs->data[0]]) == n;
      swish_of[j] = i;
      kind[j] = (a == x || b == x) && same ? EQG_FUSE_SWISH : EQG_FUSE_GATE;
    }
  }
}
