/* libedgeq_mediapipe: a TFLite external delegate that runs mediapipe's custom ops
 * (Landmarks2TransformMatrix, TransformTensorBilinear and TransformLandmarks, version 2) in float,
 * so that stock LiteRT runs models that use them — the float model and the integer model edgeq
 * makes of it, where those ops stay float between QUANTIZE/DEQUANTIZE. It claims only those ops
 * (nodes the runtime could not resolve otherwise) and has no options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeq/tflite_c_abi.h"
#include "flexbuf.h"
#include "mp_ops.h"
#include "plugin.h"

#define WHO "edgeq mediapipe delegate"
enum { kCustom = 32 };
enum { OP_L2TM = 1, OP_TTB, OP_TL };

typedef struct {
  int kind;
  int in0, in1, out;
  eqmp_l2tm_params l2tm; /* OP_L2TM only */
} mp_node;

typedef struct {
  int n;
  mp_node nodes[];
} mp_kernel;

static const TfLiteTensor* tensor(const TfLiteContext* ctx, const TfLiteIntArray* a, int i) {
  if (!a || i >= a->size || a->data[i] < 0 || (size_t)a->data[i] >= ctx->tensors_size) return NULL;
  return &ctx->tensors[a->data[i]];
}

static int dims_are(const TfLiteTensor* t, int rank) {
  return t && t->type == kTfLiteFloat32 && t->dims && t->dims->size == rank;
}

static int dim(const TfLiteTensor* t, int i) { return t->dims->data[i]; }

static int elements(const TfLiteTensor* t) {
  int n = 1;
  for (int i = 0; i < t->dims->size; ++i) n *= t->dims->data[i];
  return n;
}

/* The op kind of a node this delegate runs (its shapes and options checked), or 0. */
static int parse(const TfLiteContext* ctx, const TfLiteNode* node, const TfLiteRegistration* reg, mp_node* out) {
  if (reg->builtin_code != kCustom || !reg->custom_name || !node->outputs || node->outputs->size != 1) return 0;
  memset(out, 0, sizeof(*out));
  const int nin = node->inputs ? node->inputs->size : 0;
  const TfLiteTensor* a = tensor(ctx, node->inputs, 0);
  const TfLiteTensor* b = nin > 1 ? tensor(ctx, node->inputs, 1) : NULL;
  const TfLiteTensor* o = tensor(ctx, node->outputs, 0);
  if (!a || !o) return 0;
  out->in0 = node->inputs->data[0];
  out->in1 = b ? node->inputs->data[1] : -1;
  out->out = node->outputs->data[0];
  const int matrix_ok = b && dims_are(b, 3) && dim(b, 0) == 1 && dim(b, 1) == 4 && dim(b, 2) == 4;
  if (strcmp(reg->custom_name, "Landmarks2TransformMatrix") == 0) {
    if (nin != 1 || !dims_are(a, 3) || dim(a, 0) != 1 || dim(a, 2) != 3 || !dims_are(o, 3) || elements(o) != 16)
      return 0;
    eqmp_flexmap m;
    eqmp_l2tm_params* p = &out->l2tm;
    int64_t l, r, w, h;
    double sx, sy, tr;
    if (eqmp_flexmap_open(&m, node->custom_initial_data, (size_t)node->custom_initial_data_size) != 0 ||
        eqmp_flexmap_int(&m, "left_rotation_idx", &l) || eqmp_flexmap_int(&m, "right_rotation_idx", &r) ||
        eqmp_flexmap_int(&m, "output_width", &w) || eqmp_flexmap_int(&m, "output_height", &h) ||
        eqmp_flexmap_float(&m, "scale_x", &sx) || eqmp_flexmap_float(&m, "scale_y", &sy))
      return 0;
    if (eqmp_flexmap_float(&m, "target_rotation_radians", &tr) != 0) tr = 0.0;
    const int n = eqmp_flexmap_ints(&m, "subset_idxs", p->subset, EQMP_MAX_SUBSET);
    const int64_t lm = dim(a, 1);
    /* an odd count is fine: mediapipe pairs the last index with itself, which adds nothing to the box */
    if (n <= 0 || n > EQMP_MAX_SUBSET || l < 0 || l >= lm || r < 0 || r >= lm || w <= 0 || h <= 0 ||
        w > 1 << 20 || h > 1 << 20 || !(sx > 0) || !(sy > 0))
      return 0;
    for (int i = 0; i < n; ++i)
      if (p->subset[i] < 0 || p->subset[i] >= lm) return 0;
    p->left_rotation_idx = (int)l;
    p->right_rotation_idx = (int)r;
    p->output_width = (int)w;
    p->output_height = (int)h;
    p->scale_x = (float)sx;
    p->scale_y = (float)sy;
    p->target_rotation_radians = (float)tr;
    p->n_subset = n;
    return out->kind = OP_L2TM;
  }
  if (strcmp(reg->custom_name, "TransformTensorBilinear") == 0) {
    if (nin != 2 || !matrix_ok || !dims_are(a, 4) || dim(a, 0) != 1 || !dims_are(o, 4) || dim(o, 0) != 1 ||
        dim(o, 3) != dim(a, 3))
      return 0;
    return out->kind = OP_TTB;
  }
  if (strcmp(reg->custom_name, "TransformLandmarks") == 0) {
    if (nin != 2 || !matrix_ok || !dims_are(a, 3) || dim(a, 0) != 1 || (dim(a, 2) != 2 && dim(a, 2) != 3) ||
        !dims_are(o, 3) || dim(o, 1) != dim(a, 1) || dim(o, 2) != dim(a, 2))
      return 0;
    return out->kind = OP_TL;
  }
  return 0;
}

static void* kernel_init(TfLiteContext* ctx, const char* buffer, size_t length) {
  (void)length;
  const TfLiteDelegateParams* params = (const TfLiteDelegateParams*)buffer;
  const int n = params->nodes_to_replace->size;
  mp_kernel* k = calloc(1, sizeof(mp_kernel) + sizeof(mp_node) * (size_t)n);
  if (!k) return NULL;
  for (int i = 0; i < n; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    if (ctx->GetNodeAndRegistration(ctx, params->nodes_to_replace->data[i], &node, &reg) != kTfLiteOk ||
        !parse(ctx, node, reg, &k->nodes[i])) {
      free(k);
      return NULL;
    }
  }
  k->n = n;
  return k;
}

static void kernel_free(TfLiteContext* ctx, void* buffer) {
  (void)ctx;
  free(buffer);
}

/* The shapes a node was claimed with still hold (inputs may be resized after delegation). */
static int shapes_hold(const TfLiteContext* ctx, const mp_node* m) {
  const TfLiteTensor* a = &ctx->tensors[m->in0];
  const TfLiteTensor* b = m->in1 >= 0 ? &ctx->tensors[m->in1] : NULL;
  const TfLiteTensor* o = &ctx->tensors[m->out];
  const int matrix_ok = b && dims_are(b, 3) && elements(b) == 16;
  switch (m->kind) {
    case OP_L2TM: {
      if (!dims_are(a, 3) || dim(a, 0) != 1 || dim(a, 2) != 3 || !dims_are(o, 3) || elements(o) != 16) return 0;
      const eqmp_l2tm_params* p = &m->l2tm;
      int top = p->left_rotation_idx > p->right_rotation_idx ? p->left_rotation_idx : p->right_rotation_idx;
      for (int i = 0; i < p->n_subset; ++i) top = p->subset[i] > top ? p->subset[i] : top;
      return top < dim(a, 1);
    }
    case OP_TTB:
      return matrix_ok && dims_are(a, 4) && dim(a, 0) == 1 && dims_are(o, 4) && dim(o, 0) == 1 && dim(o, 3) == dim(a, 3);
    case OP_TL:
      return matrix_ok && dims_are(a, 3) && dim(a, 0) == 1 && (dim(a, 2) == 2 || dim(a, 2) == 3) && dims_are(o, 3) &&
             dim(o, 1) == dim(a, 1) && dim(o, 2) == dim(a, 2);
    default:
      return 0;
  }
}

static TfLiteStatus kernel_prepare(TfLiteContext* ctx, TfLiteNode* node) {
  const mp_kernel* k = node->user_data;
  if (!k) {
    ctx->ReportError(ctx, WHO ": out of memory, or a claimed node changed");
    return kTfLiteError;
  }
  for (int i = 0; i < k->n; ++i)
    if (!shapes_hold(ctx, &k->nodes[i])) {
      ctx->ReportError(ctx, WHO ": an input of a mediapipe op was resized to a shape the op does not take");
      return kTfLiteError;
    }
  return kTfLiteOk;
}

static TfLiteStatus kernel_invoke(TfLiteContext* ctx, TfLiteNode* node) {
  const mp_kernel* k = node->user_data;
  for (int i = 0; i < k->n; ++i) {
    const mp_node* m = &k->nodes[i];
    const TfLiteTensor* a = &ctx->tensors[m->in0];
    const TfLiteTensor* b = m->in1 >= 0 ? &ctx->tensors[m->in1] : NULL;
    TfLiteTensor* o = &ctx->tensors[m->out];
    if (!a->data.f || !o->data.f || (b && !b->data.f)) {
      ctx->ReportError(ctx, WHO ": a tensor has no data");
      return kTfLiteError;
    }
    switch (m->kind) {
      case OP_L2TM:
        eqmp_landmarks_to_transform_matrix(&m->l2tm, a->data.f, o->data.f);
        break;
      case OP_TTB:
        eqmp_transform_tensor_bilinear(a->data.f, dim(a, 1), dim(a, 2), dim(a, 3), b->data.f, o->data.f, dim(o, 1),
                                       dim(o, 2));
        break;
      case OP_TL:
        eqmp_transform_landmarks(a->data.f, dim(a, 1), dim(a, 2), b->data.f, o->data.f);
        break;
      default:
        return kTfLiteError;
    }
  }
  return kTfLiteOk;
}

static TfLiteStatus delegate_prepare(TfLiteContext* ctx, TfLiteDelegate* d) {
  TfLiteIntArray* plan = NULL;
  if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
  TfLiteIntArray* claimed = malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)(plan->size + 1));
  if (!claimed) return kTfLiteError;
  const int n = plan->size;
  int* nodes = malloc(sizeof(int) * (size_t)(n + 1));
  if (!nodes) {
    free(claimed);
    return kTfLiteError;
  }
  memcpy(nodes, plan->data, sizeof(int) * (size_t)n); /* the plan is invalidated by later calls */
  claimed->size = 0;
  for (int i = 0; i < n; ++i) {
    TfLiteNode* node = NULL;
    TfLiteRegistration* reg = NULL;
    mp_node m;
    if (ctx->GetNodeAndRegistration(ctx, nodes[i], &node, &reg) == kTfLiteOk && parse(ctx, node, reg, &m))
      claimed->data[claimed->size++] = nodes[i];
  }
  TfLiteStatus st = kTfLiteOk;
  if (claimed->size) {
    TfLiteRegistration r;
    memset(&r, 0, sizeof(r));
    r.init = kernel_init;
    r.free = kernel_free;
    r.prepare = kernel_prepare;
    r.invoke = kernel_invoke;
    r.builtin_code = kTfLiteBuiltinDelegate;
    r.custom_name = "EdgeqMediapipeOps";
    r.version = 1;
    st = ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, r, claimed, d);
  }
  free(nodes);
  free(claimed);
  return st;
}

static int configure(TfLiteDelegate* d, const char* const* keys, const char* const* values, size_t n, char* err,
                     size_t errlen) {
  (void)d;
  (void)values;
  for (size_t i = 0; i < n; ++i) {
    snprintf(err, errlen, WHO ": unknown option '%s': this delegate takes none", keys[i]);
    return -1;
  }
  return 0;
}

static void release(TfLiteDelegate* d) { (void)d; }

/* Dynamic-tensor flag: without it the runtime prepares every node before delegating, and the
 * nodes this delegate exists for have no kernel there (kernel_prepare re-checks shapes). */
static const eq_plugin kPlugin = {WHO, sizeof(TfLiteDelegate), configure, release, delegate_prepare,
                                  kTfLiteDelegateFlagsAllowDynamicTensors};
EQ_DEFINE_PLUGIN(kPlugin)
