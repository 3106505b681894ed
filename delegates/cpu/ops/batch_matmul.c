/* BATCH_MATMUL, int8: each batch is one qs8 GEMM whose "weights" are the right operand,
 * packed per invoke (both operands are activations). The GEMM subtracts only the left operand's
 * zero point; the right one's enters through extra reduction columns: each left row repeated
 * and multiplied by -b_zp (split in two columns of 64 when b_zp is -128, which int8 cannot hold),
 *   sum_k (a - za) * b + sum_k (a - za) * (-zb) = sum_k (a - za) * (b - zb),
 * exact in int32 like the reference. Requantization: double rounding (batch_matmul.cc's
 * MultiplyByQuantizedMultiplier), clamp to int8. Threads split the batches. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "qs8-gemm/qs8-gemm.h"

typedef struct {
  eq_bmm_params p;
  size_t batches, kx; /* kx: reduction length with the zero-point columns */
  int copies;         /* zero-point column groups: 0, 1 or 2 */
  int8_t col[2];      /* their values */
  size_t* a_off;      /* per output batch: element offset of its left / right matrix */
  size_t* b_off;
  int32_t *mult, *shift; /* [n], all equal */
  int8_t* scratch;       /* per thread: A [m][kx] then W [n][kx] */
  size_t scratch_per_thread;
  int threads;
  const int8_t *a, *b;
  int8_t* y;
  int failed;
} bmm_state;

static void destroy(void* s_) {
  bmm_state* s = s_;
  if (!s) return;
  free(s->a_off);
  free(s->b_off);
  free(s->mult);
  free(s->shift);
  free(s->scratch);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  bmm_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  eq_batch_matmul_prepare(ctx, node, &s->p);
  const eq_bmm_params* p = &s->p;
  if (p->b_zp == -128) {
    s->copies = 2;
    s->col[0] = s->col[1] = 64;
  } else if (p->b_zp != 0) {
    s->copies = 1;
    s->col[0] = (int8_t)-p->b_zp;
  }
  s->kx = (size_t)p->k * (size_t)(1 + s->copies);
  s->batches = 1;
  for (int d = 0; d < p->rank - 2; ++d) s->batches *= (size_t)(p->a_batch[d] > p->b_batch[d] ? p->a_batch[d] : p->b_batch[d]);
  s->a_off = malloc(sizeof(size_t) * s->batches);
  s->b_off = malloc(sizeof(size_t) * s->batches);
  s->mult = malloc(sizeof(int32_t) * (size_t)p->n);
  s->shift = malloc(sizeof(int32_t) * (size_t)p->n);
  s->threads = threads < 1 ? 1 : threads;
  s->scratch_per_thread = ((size_t)p->m + (size_t)p->n) * s->kx + 64;
  s->scratch = malloc(s->scratch_per_thread * (size_t)s->threads);
  if (!s->a_off || !s->b_off || !s->mult || !s->shift || !s->scratch) {
    destroy(s);
    return NULL;
  }
  for (int i = 0; i < p->n; ++i) {
    s->mult[i] = p->mult;
    s->shift[i] = p->shift;
  }
  /* output batch index -> operand batch indices (broadcast dims of size 1 stay at 0) */
  const size_t a_mat = (size_t)p->m * (size_t)p->k, b_mat = (size_t)p->k * (size_t)p->n;
  for (size_t o = 0; o < s->batches; ++o) {
    size_t rem = o, ai = 0, bi = 0, as = 1, bs = 1;
    for (int d = p->rank - 3; d >= 0; --d) {
      const size_t od = (size_t)(p->a_batch[d] > p->b_batch[d] ? p->a_batch[d] : p->b_batch[d]);
      const size_t i = rem % od;
      rem /= od;
      if (p->a_batch[d] != 1) ai += i * as;
      if (p->b_batch[d] != 1) bi += i * bs;
      as *= (size_t)p->a_batch[d];
      bs *= (size_t)p->b_batch[d];
    }
    s->a_off[o] = ai * a_mat;
    s->b_off[o] = bi * b_mat;
  }
  return s;
}

static void batch_task(void* arg, size_t o) {
  bmm_state* s = arg;
  const eq_bmm_params* p = &s->p;
  const size_t m = (size_t)p->m, n = (size_t)p->n, k = (size_t)p->k, kx = s->kx;
  int slot = eq_pool_slot();
  if (slot < 0 || slot >= s->threads) slot = 0;
  int8_t* A = s->scratch + (size_t)slot * s->scratch_per_thread;
  int8_t* W = A + m * kx;
  const int8_t* a = s->a + s->a_off[o];
  const int8_t* b = s->b + s->b_off[o];
  for (size_t i = 0; i < m; ++i) {
    int8_t* row = A + i * kx;
    if (p->adj_x) {
      for (size_t j = 0; j < k; ++j) row[j] = a[j * m + i];
    } else {
      memcpy(row, a + i * k, k);
    }
    for (int c = 0; c < s->copies; ++c) memcpy(row + (size_t)(c + 1) * k, row, k);
  }
  for (size_t j = 0; j < n; ++j) {
    int8_t* row = W + j * kx;
    if (p->adj_y) {
      memcpy(row, b + j * k, k);
    } else {
      for (size_t i = 0; i < k; ++i) row[i] = b[i * n + j];
    }
    for (int c = 0; c < s->copies; ++c) memset(row + (size_t)(c + 1) * k, s->col[c], k);
  }
  qs8_gemm_desc d;
  memset(&d, 0, sizeof(d));
  d.n = (int32_t)n;
  d.k = (int32_t)kx;
  d.weights = W;
  d.weight_bits = 8;
  d.a_zero_point = p->a_zp;
  d.multiplier = s->mult;
  d.shift = s->shift;
  d.c_zero_point = p->out_zp;
  d.c_min = -128;
  d.c_max = 127;
  qs8_gemm_plan* plan = qs8_gemm_plan_create_rounding(&d, EDGEQ_ISA_AUTO, QS8_ROUNDING_DOUBLE);
  if (!plan) {
    s->failed = 1;
    return;
  }
  qs8_gemm_run(plan, m, A, kx, s->y + o * m * n, n, 0, n);
  qs8_gemm_plan_destroy(plan);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  bmm_state* s = s_;
  s->a = in[0];
  s->b = in[1];
  s->y = out[0];
  s->failed = 0;
  eq_pool_parallel_for(s->batches > 1 ? pool : NULL, s->batches, batch_task, s);
  return s->failed ? kTfLiteError : kTfLiteOk;
}

const eq_op_kind eq_op_batch_matmul = {{"BATCH_MATMUL", kTfLiteBuiltinBatchMatmul, eq_check_batch_matmul},
                                       create, eval, destroy, NULL};
