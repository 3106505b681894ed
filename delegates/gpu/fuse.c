/* Elementwise fusion inside a GPU partition (fuse.h). */
#include "fuse.h"

#include <stdlib.h>
#include <string.h>

#include "gpu_op.h"
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

void eqg_find_fusions(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs,
                      int* logistic_of, eqg_fuse_kind* kind) {
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
      if (contains(outputs, s) || readers(ctx, nodes, s) != 1) continue;
      const size_t n = eq_numel(&ctx->tensors[x]);
      const int same = eq_numel(&ctx->tensors[s]) == n && eq_numel(&ctx->tensors[mul->outputs->data[0]]) == n;
      swish_of[j] = i;
      kind[j] = (a == x || b == x) && same ? EQG_FUSE_SWISH : EQG_FUSE_GATE;
    }
  }
}


static TfLiteNode* node_at(TfLiteContext* ctx, const TfLiteIntArray* nodes, int i, int* code) {
  TfLiteNode* node = NULL;
  TfLiteRegistration* reg = NULL;
  if (ctx->GetNodeAndRegistration(ctx, nodes->data[i], &node, &reg) != kTfLiteOk) return NULL;
  *code = reg->builtin_code;
  return node;
}

static int is_i8(const TfLiteTensor* t) { return t->type == kTfLiteInt8; }

/* The same dims, leading 1s aside ([128, 384] and [1, 128, 384]): the same elements in the same order. */
static int same_shape(const TfLiteTensor* a, const TfLiteTensor* b) {
  int da = 0, db = 0;
  while (da < eq_rank(a) - 1 && eq_dim(a, da) == 1) ++da;
  while (db < eq_rank(b) - 1 && eq_dim(b, db) == 1) ++db;
  if (eq_rank(a) - da != eq_rank(b) - db) return 0;
  for (; da < eq_rank(a); ++da, ++db)
    if (eq_dim(a, da) != eq_dim(b, db)) return 0;
  return 1;
}

static int is_scalar_const(const TfLiteTensor* t) { return eq_is_const(t) && t->data.raw && eq_numel(t) == 1; }

/* out[i] = op(a[i], b[i]) for ADD / SUB / MUL node `node` (its reference arithmetic). */
static void binary_rows(TfLiteContext* ctx, const TfLiteNode* node, int code, size_t n, const int8_t* a,
                        const int8_t* b, int8_t* out) {
  if (code == kTfLiteBuiltinMul) {
    qs8_mul_params p;
    eq_mul_prepare(ctx, node, &p);
    qs8_vmul_scalar(n, a, b, out, &p);
    return;
  }
  qs8_add_params p;
  eq_add_prepare(ctx, node, &p);
  if (code == kTfLiteBuiltinSub) p.b_mult = -p.b_mult; /* sub.cc: ADD with the second multiplier negated */
  for (size_t i = 0; i < n; ++i) out[i] = qs8_add1(a[i], b[i], &p);
}

/* Node i as a unary op of tensor *x: its table, and how many of its reads of *x there are. 0: not one. */
static int unary_of(TfLiteContext* ctx, const TfLiteIntArray* nodes, int i, const int* logistic_of,
                    const eqg_fuse_kind* kind, int* x, int* reads, int8_t table[256]) {
  int code = 0;
  TfLiteNode* node = node_at(ctx, nodes, i, &code);
  if (!node || node->outputs->size != 1 || !is_i8(&ctx->tensors[node->outputs->data[0]])) return 0;
  if (logistic_of[i] >= 0) {
    if (kind[i] != EQG_FUSE_SWISH) return 0;
    int lcode = 0;
    TfLiteNode* lg = node_at(ctx, nodes, logistic_of[i], &lcode);
    if (!lg) return 0;
    eq_swish_lut(ctx, lg, node, table);
    *x = lg->inputs->data[0];
    *reads = 2; /* the LOGISTIC and the MUL */
    return 1;
  }
  for (int j = 0; j < nodes->size; ++j)
    if (logistic_of[j] == i) return 0; /* a LOGISTIC its MUL computes */
  if (node->inputs->size < 1) return 0;
  if (code == kTfLiteBuiltinLogistic || code == kTfLiteBuiltinHardSwish || code == kTfLiteBuiltinGelu ||
      code == kTfLiteBuiltinRsqrt) {
    *x = node->inputs->data[0];
    *reads = 1;
    return *x >= 0 && is_i8(&ctx->tensors[*x]) && eqg_lut_table(ctx, node, code, table) == 0;
  }
  if ((code != kTfLiteBuiltinAdd && code != kTfLiteBuiltinSub && code != kTfLiteBuiltinMul) || node->inputs->size != 2)
    return 0;
  const int a = node->inputs->data[0], b = node->inputs->data[1];
  if (a < 0 || b < 0 || a == b) return 0;
  const TfLiteTensor *ta = &ctx->tensors[a], *tb = &ctx->tensors[b], *to = &ctx->tensors[node->outputs->data[0]];
  const int c_second = is_scalar_const(tb) && !eq_is_const(ta), c_first = is_scalar_const(ta) && !eq_is_const(tb);
  if (!c_second && !c_first) return 0;
  *x = c_second ? a : b;
  if (!is_i8(&ctx->tensors[*x]) || !is_i8(c_second ? tb : ta) || !same_shape(&ctx->tensors[*x], to)) return 0;
  int8_t v[256], c[256];
  for (int k = 0; k < 256; ++k) v[k] = (int8_t)k, c[k] = ((const int8_t*)(c_second ? tb : ta)->data.raw)[0];
  binary_rows(ctx, node, code, 256, c_second ? v : c, c_second ? c : v, table);
  *reads = 1;
  return 1;
}

/* Node i as a binary op of two int8 tensors: 2 when both are non-constant and of the output's shape, 1 when
 * they broadcast (or one is constant), with its code; else 0. */
static int binary_of(TfLiteContext* ctx, const TfLiteIntArray* nodes, int i, const int* logistic_of, int* code) {
  TfLiteNode* node = node_at(ctx, nodes, i, code);
  if (!node || logistic_of[i] >= 0 || node->inputs->size != 2 || node->outputs->size != 1) return 0;
  if (*code != kTfLiteBuiltinAdd && *code != kTfLiteBuiltinSub && *code != kTfLiteBuiltinMul) return 0;
  const int a = node->inputs->data[0], b = node->inputs->data[1];
  if (a < 0 || b < 0 || a == b) return 0;
  const TfLiteTensor *ta = &ctx->tensors[a], *tb = &ctx->tensors[b], *to = &ctx->tensors[node->outputs->data[0]];
  if (!is_i8(ta) || !is_i8(tb) || !is_i8(to)) return 0;
  return !eq_is_const(ta) && !eq_is_const(tb) && same_shape(ta, to) && same_shape(tb, to) ? 2 : 1;
}

static int producer_of(TfLiteContext* ctx, const TfLiteIntArray* nodes, int t) {
  for (int p = 0; p < nodes->size; ++p) {
    int code = 0;
    TfLiteNode* n = node_at(ctx, nodes, p, &code);
    for (int j = 0; n && j < n->outputs->size; ++j)
      if (n->outputs->data[j] == t) return p;
  }
  return -1;
}

/* Nodes whose kernels store their output through an epilogue (eq_epi in qs8.cl). */
static int conv_like(int code) {
  return code == kTfLiteBuiltinConv2d || code == kTfLiteBuiltinDepthwiseConv2d ||
         code == kTfLiteBuiltinFullyConnected || code == kTfLiteBuiltinBatchMatmul;
}

static void rowprog_free(eqg_rowprog* r);

void eqg_fuse_plan_free(eqg_fused_node* f, int n) {
  for (int i = 0; f && i < n; ++i) free(f[i].table), free(f[i].se_gtable), rowprog_free(f[i].row);
}

/* A [B,1,1,C] gate for out [B,H,W,C]. */
static int gate_shape(const TfLiteTensor* g, const TfLiteTensor* out) {
  return eq_rank(g) == 4 && eq_rank(out) == 4 && eq_dim(g, 0) == eq_dim(out, 0) && eq_dim(g, 1) == 1 &&
         eq_dim(g, 2) == 1 && eq_dim(g, 3) == eq_dim(out, 3);
}

/* Node i as a squeeze-excite gate (fuse.h): fills f[i].se_* and table, marks the conv fused; 0 if not one. */
static int try_se_gate(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs, int i,
                       const int* logistic_of, const eqg_fuse_kind* kind, eqg_fused_node* f) {
  int code = 0;
  TfLiteNode* mul = node_at(ctx, nodes, i, &code);
  if (!mul || code != kTfLiteBuiltinMul || mul->inputs->size != 2 || mul->outputs->size != 1) return 0;
  if (logistic_of[i] >= 0 && kind[i] != EQG_FUSE_GATE) return 0;
  const TfLiteTensor* out = &ctx->tensors[mul->outputs->data[0]];
  int gate_side = -1, g0 = -1;
  int8_t sig[256];
  int lcode = 0;
  TfLiteNode* lg = logistic_of[i] >= 0 ? node_at(ctx, nodes, logistic_of[i], &lcode) : NULL;
  for (int side = 0; side < 2; ++side) {
    const int t = mul->inputs->data[side];
    if (t < 0) return 0;
    if (lg ? t == lg->outputs->data[0] : gate_shape(&ctx->tensors[t], out)) gate_side = side;
  }
  if (gate_side < 0) return 0;
  const int x = mul->inputs->data[1 - gate_side];
  if (lg) {
    g0 = lg->inputs->data[0];
    eq_logistic_lut(eq_in(ctx, lg, 0), eq_out(ctx, lg, 0), sig);
  } else {
    g0 = mul->inputs->data[gate_side];
  }
  if (x < 0 || g0 < 0 || eq_is_const(&ctx->tensors[x]) || !is_i8(&ctx->tensors[x]) || !is_i8(out) ||
      !same_shape(&ctx->tensors[x], out) || !gate_shape(&ctx->tensors[g0], out) || contains(outputs, g0) ||
      readers(ctx, nodes, g0) != 1)
    return 0;
  const int p0 = producer_of(ctx, nodes, g0);
  const int p = p0 < 0 ? -1 : f[p0].into >= 0 ? f[p0].into : p0; /* the conv, with the ops in its epilogue */
  int ccode = 0;
  TfLiteNode* conv = p >= 0 ? node_at(ctx, nodes, p, &ccode) : NULL;
  if (!conv || f[p].into >= 0 || f[p].out_tensor != g0 || f[p].epi == 2 || f[p].lut || ccode != kTfLiteBuiltinConv2d ||
      conv->inputs->size < 2)
    return 0;
  const TfLiteTensor *s = eq_in(ctx, conv, 0), *w = eq_in(ctx, conv, 1);
  if (!s || !w || w->type != kTfLiteInt8 || !is_i8(s) || eq_rank(s) != 4 || eq_rank(w) != 4 || eq_dim(s, 1) != 1 ||
      eq_dim(s, 2) != 1 || eq_dim(w, 1) != 1 || eq_dim(w, 2) != 1 || eq_dim(w, 3) != eq_dim(s, 3) ||
      eq_dim(w, 0) != eq_dim(out, 3) || eq_dim(s, 0) != eq_dim(out, 0))
    return 0;
  int8_t* gt = malloc(256);
  int8_t* t2 = malloc(65536);
  int8_t* row = malloc(512);
  if (!gt || !t2 || !row) {
    free(gt), free(t2), free(row);
    return 0;
  }
  for (int v = 0; v < 256; ++v) {
    int8_t b = f[p].table ? f[p].table[v] : (int8_t)v; /* the conv's epilogue ops */
    gt[v] = lg ? sig[(uint8_t)b] : b;
  }
  for (int u = 0; u < 256; ++u) { /* x byte u, gate byte w */
    for (int g = 0; g < 256; ++g) (gate_side ? row : row + 256)[g] = (int8_t)u, (gate_side ? row + 256 : row)[g] = (int8_t)g;
    binary_rows(ctx, mul, kTfLiteBuiltinMul, 256, row, row + 256, t2 + u * 256);
  }
  free(row);
  f[i].se_conv = p;
  f[i].se_x = x;
  f[i].se_gtable = gt;
  f[i].table = t2;
  f[i].host = 1;
  f[p].into = i;
  return 1;
}

/* ---- row programs (LayerNorm; fuse.h eqg_rowprog) ---- */

#define ROW_MAX_NODES EQG_ROW_MAX_STEPS
#define ROW_MAX_T 96

/* [rows..., 1]: x's dims with the last one 1 (a MEAN over the last axis with keepdims). */
static int row_shape(const TfLiteTensor* t, const TfLiteTensor* x) {
  if (eq_rank(t) != eq_rank(x) || eq_dim(t, eq_rank(t) - 1) != 1) return 0;
  for (int d = 0; d + 1 < eq_rank(x); ++d)
    if (eq_dim(t, d) != eq_dim(x, d)) return 0;
  return 1;
}

/* A constant int8 vector of C values broadcast over the rows ([C], [1, 1, C], ...). */
static int chan_const(const TfLiteTensor* t, const TfLiteTensor* x, int c) {
  if (!eq_is_const(t) || !t->data.raw || !is_i8(t) || eq_numel(t) != (size_t)c || eq_rank(t) > eq_rank(x) ||
      eq_rank(t) < 1 || eq_dim(t, eq_rank(t) - 1) != c)
    return 0;
  return 1;
}

typedef struct {
  int n;
  int t[ROW_MAX_T], kind[ROW_MAX_T]; /* kind: 'E' per element, 'R' per row */
} row_tensors;

static int rt_kind(const row_tensors* rt, int t) {
  for (int k = 0; k < rt->n; ++k)
    if (rt->t[k] == t) return rt->kind[k];
  return 0;
}

/* Whether MEAN node `node` reduces exactly the last axis of its [rows, c] input into [rows..., 1]. */
static int mean_last_axis(TfLiteContext* ctx, const TfLiteNode* node, const TfLiteTensor* x, int c) {
  if (node->inputs->size != 2 || node->outputs->size != 1) return 0;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *out = eq_out(ctx, node, 0);
  if (!in || !out || !is_i8(in) || !is_i8(out) || eq_rank(in) < 2 || eq_rank(in) > EQ_MEAN_MAX_RANK ||
      !same_shape(in, x) || eq_rank(in) != eq_rank(x) || !row_shape(out, x) || eq_dim(in, eq_rank(in) - 1) != c)
    return 0;
  eq_mean_params p;
  eq_mean_prepare(ctx, node, &p);
  for (int d = 0; d < p.rank; ++d)
    if (p.reduced[d] != (d == p.rank - 1)) return 0;
  return p.count == c && p.shift <= 31;
}

/* Node j as a row-program node over the tensors rt (x included as 'E'): its output kind ('E' / 'R'), 0 if
 * not one. */
static int row_node(TfLiteContext* ctx, const TfLiteIntArray* nodes, int j, const int* logistic_of,
                    const eqg_fuse_kind* kind, const eqg_fused_node* f, const TfLiteTensor* x, int c,
                    const row_tensors* rt) {
  int code = 0;
  TfLiteNode* node = node_at(ctx, nodes, j, &code);
  if (!node || f[j].into >= 0 || f[j].row || logistic_of[j] >= 0 || node->outputs->size != 1) return 0;
  for (int k = 0; k < nodes->size; ++k)
    if (logistic_of[k] == j) return 0;
  const TfLiteTensor* out = &ctx->tensors[node->outputs->data[0]];
  if (!is_i8(out)) return 0;
  if (code == kTfLiteBuiltinMean)
    return rt_kind(rt, node->inputs->data[0]) == 'E' && mean_last_axis(ctx, node, x, c) ? 'R' : 0;
  int ux = -1, reads = 0;
  int8_t table[256];
  if (unary_of(ctx, nodes, j, logistic_of, kind, &ux, &reads, table)) {
    const int k = rt_kind(rt, ux);
    if (k == 'E' && same_shape(out, x)) return 'E';
    if (k == 'R' && row_shape(out, x)) return 'R';
    return 0;
  }
  if ((code != kTfLiteBuiltinAdd && code != kTfLiteBuiltinSub && code != kTfLiteBuiltinMul &&
       code != kTfLiteBuiltinSquaredDifference) || node->inputs->size != 2)
    return 0;
  int has_e = 0, has_var = 0;
  for (int s = 0; s < 2; ++s) {
    const int t = node->inputs->data[s];
    if (t < 0) return 0;
    const int k = rt_kind(rt, t);
    if (k) {
      has_var = 1;
      has_e |= k == 'E';
    } else if (chan_const(&ctx->tensors[t], x, c)) {
      has_e = 1;
    } else {
      return 0;
    }
  }
  if (!has_var || node->inputs->data[0] == node->inputs->data[1]) return 0;
  if (has_e) return same_shape(out, x) ? 'E' : 0;
  return row_shape(out, x) ? 'R' : 0;
}

/* The tensors the listed nodes make that are read by other partition nodes or are partition outputs. */
static int row_escaping(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs,
                        const int* list, int n, int* esc) {
  int ne = 0;
  for (int a = 0; a < n; ++a) {
    int code = 0;
    TfLiteNode* node = node_at(ctx, nodes, list[a], &code);
    const int t = node->outputs->data[0];
    int inside = 0;
    for (int b = 0; b < n; ++b) {
      TfLiteNode* r = node_at(ctx, nodes, list[b], &code);
      for (int q = 0; q < r->inputs->size; ++q) inside += r->inputs->data[q] == t;
    }
    if (contains(outputs, t) || readers(ctx, nodes, t) != inside) esc[ne++] = t;
  }
  return ne;
}

static void rowprog_free(eqg_rowprog* r) {
  if (!r) return;
  free(r->tables);
  free(r->kconst);
  free(r);
}

/* The row program of MEAN node i (fuse.h), if there is one worth it: fills f (the MEAN hosts it). */
static int try_row_program(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs, int i,
                           const int* logistic_of, const eqg_fuse_kind* kind, eqg_fused_node* f) {
  int code = 0;
  TfLiteNode* mean = node_at(ctx, nodes, i, &code);
  if (!mean || code != kTfLiteBuiltinMean || f[i].into >= 0 || f[i].row || mean->inputs->size != 2) return 0;
  const int xt = mean->inputs->data[0];
  if (xt < 0) return 0;
  const TfLiteTensor* x = &ctx->tensors[xt];
  if (!is_i8(x) || eq_rank(x) < 2) return 0;
  const int c = eq_dim(x, eq_rank(x) - 1);
  if (c < 2 || !mean_last_axis(ctx, mean, x, c)) return 0;
  const size_t rows = eq_numel(x) / (size_t)c;
  /* grow: every later node over x, the region's tensors and constants */
  int list[ROW_MAX_NODES], n = 0;
  row_tensors rt = {0};
  rt.t[0] = xt, rt.kind[0] = 'E', rt.n = 1;
  for (int j = i; j < nodes->size && n < ROW_MAX_NODES && rt.n < ROW_MAX_T; ++j) {
    const int k = row_node(ctx, nodes, j, logistic_of, kind, f, x, c, &rt);
    if (!k) continue;
    int cd = 0;
    TfLiteNode* node = node_at(ctx, nodes, j, &cd);
    list[n++] = j;
    rt.t[rt.n] = node->outputs->data[0], rt.kind[rt.n++] = k;
  }
  /* trim from the end until one per-element tensor leaves the region */
  int esc[ROW_MAX_NODES];
  for (; n > 0; --n) {
    if (row_escaping(ctx, nodes, outputs, list, n, esc) == 1 && rt_kind(&rt, esc[0]) == 'E' && esc[0] != xt) break;
  }
  if (n < 3) return 0;
  const int yt = esc[0];
  /* build the steps */
  eqg_rowprog* r = calloc(1, sizeof(*r));
  int8_t* tab[EQG_ROW_MAX_STEPS] = {0};
  int tab_n[EQG_ROW_MAX_STEPS] = {0};
  int st_t[EQG_ROW_MAX_STEPS]; /* the tensor each step's dst holds */
  int kt[ROW_MAX_NODES], nk = 0; /* constant vectors in kconst */
  int slot_t[ROW_MAX_T], slot_v[ROW_MAX_T], ns = 0;
  int ok = r != NULL;
  if (ok) r->c = c, r->rows = (int)rows;
  slot_t[ns] = xt, slot_v[ns++] = EQG_ROW_X << 12;
#define SLOT_OF(t, v)                          \
  do {                                         \
    v = -1;                                    \
    for (int q_ = 0; q_ < ns; ++q_)            \
      if (slot_t[q_] == (t)) v = slot_v[q_];   \
  } while (0)
  for (int a = 0; a < n && ok; ++a) {
    const int j = list[a];
    TfLiteNode* node = node_at(ctx, nodes, j, &code);
    const int ot = node->outputs->data[0];
    const int ok_kind = rt_kind(&rt, ot);
    int dst = ot == yt ? EQG_ROW_Y << 12 : ok_kind == 'E' ? (EQG_ROW_E << 12) | r->n_e : (EQG_ROW_R << 12) | r->n_r;
    int ux = -1, reads = 0;
    int8_t t1[256];
    const int unary = code != kTfLiteBuiltinMean && unary_of(ctx, nodes, j, logistic_of, kind, &ux, &reads, t1);
    if (unary) {
      /* compose into the step that makes its input when only this node reads that */
      int ps = -1;
      for (int s = 0; s < r->n_steps; ++s)
        if (st_t[s] == ux && r->step[s][0] != 0) ps = s;
      if (ps >= 0 && ux != yt && !contains(outputs, ux) && readers(ctx, nodes, ux) == 1) {
        for (int q = 0; q < tab_n[ps]; ++q) tab[ps][q] = t1[(uint8_t)tab[ps][q]];
        if (ot == yt) r->step[ps][1] = EQG_ROW_Y << 12;
        st_t[ps] = ot;
        for (int q = 0; q < ns; ++q)
          if (slot_t[q] == ux) slot_t[q] = ot;
        r->n_ops++;
        continue;
      }
    }
    if (r->n_steps >= EQG_ROW_MAX_STEPS) {
      ok = 0;
      break;
    }
    int* st = r->step[r->n_steps];
    memset(st, 0, sizeof(int) * EQG_ROW_STEP_INTS);
    st[1] = dst;
    if (code == kTfLiteBuiltinMean) {
      eq_mean_params p;
      eq_mean_prepare(ctx, node, &p);
      st[0] = 0;
      SLOT_OF(node->inputs->data[0], st[2]);
      st[5] = p.in_zp, st[6] = p.mult, st[7] = p.shift, st[8] = p.out_zp;
    } else if (unary) {
      st[0] = 1;
      SLOT_OF(ux, st[2]);
      if (!(tab[r->n_steps] = malloc(256))) ok = 0;
      else memcpy(tab[r->n_steps], t1, 256), tab_n[r->n_steps] = 256;
    } else {
      st[0] = 2;
      for (int s = 0; s < 2; ++s) {
        const int t = node->inputs->data[s];
        int v = -1;
        SLOT_OF(t, v);
        if (v < 0) { /* a constant vector */
          int kk = -1;
          for (int q = 0; q < nk; ++q)
            if (kt[q] == t) kk = q;
          if (kk < 0) kt[nk] = t, kk = nk++;
          v = (EQG_ROW_K << 12) | kk;
        }
        st[2 + s] = v;
      }
      int8_t* t2 = malloc(65536);
      int8_t* rowb = malloc(512);
      if (!t2 || !rowb) {
        free(t2), free(rowb);
        ok = 0;
        break;
      }
      if (code == kTfLiteBuiltinSquaredDifference) {
        eq_squared_difference_table(ctx, node, t2);
      } else {
        for (int u = 0; u < 256; ++u) { /* first input byte u, second w */
          for (int w = 0; w < 256; ++w) rowb[w] = (int8_t)u, rowb[256 + w] = (int8_t)w;
          binary_rows(ctx, node, code, 256, rowb, rowb + 256, t2 + u * 256);
        }
      }
      free(rowb);
      tab[r->n_steps] = t2, tab_n[r->n_steps] = 65536;
    }
    if (st[2] < 0 || (st[0] == 2 && st[3] < 0)) ok = 0;
    if (dst >> 12 == EQG_ROW_E) r->n_e++;
    if (dst >> 12 == EQG_ROW_R) r->n_r++;
    st_t[r->n_steps] = ot;
    slot_t[ns] = ot, slot_v[ns++] = dst;
    r->n_steps++;
    r->n_ops++;
  }
#undef SLOT_OF
  ok = ok && r->n_e * c <= EQG_ROW_LOCAL_BYTES && r->n_r <= EQG_ROW_MAX_STEPS;
  if (ok) { /* tables and constant vectors in one buffer each */
    for (int s = 0; s < r->n_steps; ++s) r->tables_bytes += (size_t)tab_n[s];
    r->kconst_bytes = (size_t)(nk ? nk : 1) * (size_t)c;
    r->tables = malloc(r->tables_bytes ? r->tables_bytes : 1);
    r->kconst = calloc(r->kconst_bytes, 1);
    ok = r->tables && r->kconst;
    size_t off = 0;
    for (int s = 0; ok && s < r->n_steps; ++s) {
      r->step[s][4] = (int)off;
      if (tab_n[s]) memcpy(r->tables + off, tab[s], (size_t)tab_n[s]);
      off += (size_t)tab_n[s];
    }
    for (int q = 0; ok && q < nk; ++q) memcpy(r->kconst + (size_t)q * c, ctx->tensors[kt[q]].data.raw, (size_t)c);
  }
  for (int s = 0; s < EQG_ROW_MAX_STEPS; ++s) free(tab[s]);
  if (!ok) {
    rowprog_free(r);
    return 0;
  }
  f[i].row = r;
  f[i].host = 1;
  f[i].in_tensor = xt;
  f[i].out_tensor = yt;
  for (int a = 1; a < n; ++a) f[list[a]].into = i;
  return 1;
}

/* BATCH_MATMUL node i reading a TRANSPOSE's output through the permutation (fuse.h bmm_src). */
static void try_bmm_transpose(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs, int i,
                              eqg_fused_node* f) {
  int code = 0;
  TfLiteNode* bmm = node_at(ctx, nodes, i, &code);
  if (!bmm || code != kTfLiteBuiltinBatchMatmul || bmm->inputs->size != 2 || f[i].into >= 0) return;
  for (int s = 0; s < 2; ++s) {
    const int t = bmm->inputs->data[s];
    if (t < 0 || bmm->inputs->data[1 - s] == t || contains(outputs, t) || readers(ctx, nodes, t) != 1) continue;
    const int p = producer_of(ctx, nodes, t);
    int tcode = 0;
    TfLiteNode* tr = p >= 0 ? node_at(ctx, nodes, p, &tcode) : NULL;
    if (!tr || tcode != kTfLiteBuiltinTranspose || f[p].into >= 0 || f[p].host || tr->inputs->size != 2 ||
        tr->outputs->size != 1)
      continue;
    const int x = tr->inputs->data[0];
    const TfLiteTensor* tx = x >= 0 ? &ctx->tensors[x] : NULL;
    if (!tx || eq_is_const(tx) || !is_i8(tx) || eq_rank(tx) != eq_rank(&ctx->tensors[t]) || eq_rank(tx) > 5 ||
        eq_transpose_perm(eq_in(ctx, tr, 1), eq_rank(tx), f[i].bmm_perm[s]))
      continue;
    f[i].bmm_src[s] = x;
    f[p].into = i;
    f[p].perm_read = 1;
  }
  /* a TRANSPOSE after it: store through its permutation (no epilogue: its index is the stored element's) */
  const int o = bmm->outputs->size == 1 ? bmm->outputs->data[0] : -1;
  if (o < 0 || f[i].epi || f[i].host || f[i].out_tensor != o || contains(outputs, o) || readers(ctx, nodes, o) != 1)
    return;
  for (int j = i + 1; j < nodes->size; ++j) {
    int tcode = 0;
    TfLiteNode* tr = node_at(ctx, nodes, j, &tcode);
    if (!tr || tr->inputs->size < 1 || tr->inputs->data[0] != o) continue;
    const int y = tr->outputs->size == 1 ? tr->outputs->data[0] : -1;
    if (tcode != kTfLiteBuiltinTranspose || f[j].into >= 0 || f[j].host || tr->inputs->size != 2 || y < 0 ||
        !is_i8(&ctx->tensors[y]) || eq_rank(&ctx->tensors[y]) != eq_rank(&ctx->tensors[o]) ||
        eq_rank(&ctx->tensors[o]) > 5 || eq_transpose_perm(eq_in(ctx, tr, 1), eq_rank(&ctx->tensors[o]), f[i].bmm_dst_perm))
      return;
    f[i].bmm_dst = y;
    f[i].out_tensor = y;
    f[j].into = i;
    f[j].perm_write = 1;
    return;
  }
}

int eqg_fuse_plan(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs,
                  const int* logistic_of, const eqg_fuse_kind* kind, eqg_fused_node* f) {
  const int n = nodes->size;
  for (int i = 0; i < n; ++i) {
    memset(&f[i], 0, sizeof(f[i]));
    f[i].into = -1;
    f[i].in_tensor = f[i].out_tensor = f[i].other_tensor = f[i].se_conv = f[i].se_x = f[i].bin_x = f[i].bin_out = -1;
    f[i].bmm_src[0] = f[i].bmm_src[1] = f[i].bmm_dst = -1;
    int code = 0;
    TfLiteNode* node = node_at(ctx, nodes, i, &code);
    if (node && node->outputs->size == 1) f[i].out_tensor = node->outputs->data[0];
  }
  int8_t* t2 = malloc(65536);
  int8_t* row = malloc(2 * 256);
  if (!t2 || !row) {
    free(t2);
    free(row);
    return -1;
  }
  for (int i = 0; i < n; ++i) try_row_program(ctx, nodes, outputs, i, logistic_of, kind, f);
  for (int i = 0; i < n; ++i) {
    int code = 0, x = -1, reads = 0;
    int8_t table[256];
    if (!node_at(ctx, nodes, i, &code) || f[i].into >= 0 || f[i].row) continue;
    if (unary_of(ctx, nodes, i, logistic_of, kind, &x, &reads, table)) {
      const int p = producer_of(ctx, nodes, x);
      const int h = p < 0 ? -1 : f[p].into >= 0 ? f[p].into : p;
      int hcode = 0;
      const int fusable = h >= 0 && f[h].out_tensor == x && !contains(outputs, x) && readers(ctx, nodes, x) == reads &&
                          node_at(ctx, nodes, h, &hcode) && (conv_like(hcode) || f[h].lut);
      if (fusable) {
        if (f[h].epi == 2) {
          for (int k = 0; k < 65536; ++k) f[h].table[k] = table[(uint8_t)f[h].table[k]];
        } else if (f[h].table) {
          for (int k = 0; k < 256; ++k) f[h].table[k] = table[(uint8_t)f[h].table[k]];
        } else {
          if (!(f[h].table = malloc(256))) goto oom;
          memcpy(f[h].table, table, 256);
          f[h].epi = 1;
        }
        f[h].host = 1;
        f[h].out_tensor = f[i].out_tensor;
        f[i].into = h;
        if (logistic_of[i] >= 0) f[logistic_of[i]].into = h;
      } else {
        /* runs as one table lookup over x (a later unary op may join it) */
        if (!(f[i].table = malloc(256))) goto oom;
        memcpy(f[i].table, table, 256);
        f[i].lut = 1;
        f[i].in_tensor = x;
      }
      continue;
    }
    if (try_se_gate(ctx, nodes, outputs, i, logistic_of, kind, f)) continue;
    const int kind2 = binary_of(ctx, nodes, i, logistic_of, &code);
    if (!kind2) continue;
    TfLiteNode* node = node_at(ctx, nodes, i, &code);
    for (int side = 0; side < 2 && f[i].into < 0; ++side) {
      const int xs = node->inputs->data[side], y = node->inputs->data[1 - side];
      if (eq_is_const(&ctx->tensors[xs])) continue;
      const int p = producer_of(ctx, nodes, xs);
      const int h = p < 0 ? -1 : f[p].into >= 0 ? f[p].into : p;
      int hcode = 0;
      if (h < 0 || f[h].out_tensor != xs || f[h].epi == 2 || contains(outputs, xs) || readers(ctx, nodes, xs) != 1 ||
          !node_at(ctx, nodes, h, &hcode))
        continue;
      /* a conv / FC stores same-shape elements; a lookup host runs table2_s8, which broadcasts */
      if (!(conv_like(hcode) && kind2 == 2) && !(f[h].lut && same_shape(&ctx->tensors[xs], &ctx->tensors[f[h].in_tensor])))
        continue;
      /* the other input must be on the device when H runs: made by a node before H (or not in the partition) */
      const int py = producer_of(ctx, nodes, y);
      const int hy = py < 0 ? -1 : f[py].into >= 0 ? f[py].into : py;
      if (hy >= h) continue;
      int8_t* a = row;
      int8_t* b = row + 256;
      for (int u = 0; u < 256; ++u) {
        const int8_t v = f[h].table ? f[h].table[u] : (int8_t)u; /* H's byte through its unary epilogue */
        for (int w = 0; w < 256; ++w) (side ? b : a)[w] = v, (side ? a : b)[w] = (int8_t)w;
        binary_rows(ctx, node, code, 256, a, b, t2 + u * 256);
      }
      free(f[h].table);
      f[h].table = NULL;
      if (!(f[h].table = malloc(65536))) goto oom;
      memcpy(f[h].table, t2, 65536);
      f[h].epi = 2;
      f[h].host = 1;
      f[h].other_tensor = y;
      f[h].bin_x = xs;
      f[h].bin_out = f[i].out_tensor;
      f[h].out_tensor = f[i].out_tensor;
      f[i].into = h;
    }
  }
  for (int i = 0; i < n; ++i) try_bmm_transpose(ctx, nodes, outputs, i, f);
  free(t2);
  free(row);
  return 0;
oom:
  free(t2);
  free(row);
  return -1;
}

int eqg_fused_launches(TfLiteContext* ctx, const TfLiteIntArray* nodes, const TfLiteIntArray* outputs) {
  const int n = nodes->size;
  int* logistic_of = calloc((size_t)n + 1, sizeof(int));
  eqg_fuse_kind* kind = calloc((size_t)n + 1, sizeof(*kind));
  eqg_fused_node* f = calloc((size_t)n + 1, sizeof(*f));
  int runs = n;
  if (logistic_of && kind && f) {
    eqg_find_fusions(ctx, nodes, outputs, logistic_of, kind);
    if (eqg_fuse_plan(ctx, nodes, outputs, logistic_of, kind, f) == 0) {
      runs = 0;
      for (int i = 0; i < n; ++i) {
        int gate_logistic = 0;
        for (int j = 0; j < n; ++j) gate_logistic |= logistic_of[j] == i;
        int code = 0;
        const TfLiteNode* node = node_at(ctx, nodes, i, &code);
        /* a RESHAPE's output aliases its input's buffer (delegate.c) */
        runs += f[i].into < 0 && !gate_logistic && !(node && code == kTfLiteBuiltinReshape);
      }
      eqg_fuse_plan_free(f, n);
    }
  }
  free(logistic_of);
  free(kind);
  free(f);
  return runs;
}
