/* SOFTMAX, int8 in -> int8 out (scale 1/256, zero point -128): the qs8-softmax family's table
 * kernel (the reference kernel's gemmlowp fixed-point path, exps looked up by difference to the
 * row maximum; SIMD variants for the per-element rescale) with SoftmaxPrepare's parameters; rows split
 * across threads. */
#include <stdlib.h>

#include "cpu_op.h"
#include "qs8-softmax/qs8-softmax.h"

/* rows per task: attention softmaxes have thousands of short rows */
enum { kRowElementsPerTask = 16384 };

typedef struct {
  qs8_softmax_params p;
  qs8_softmax_table t;
  qs8_softmax_lut_fn fn;
  int32_t rows_per_task;
  const int8_t* x;
  int8_t* y;
} softmax_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  eq_softmax_params sp;
  eq_softmax_prepare(ctx, node, &sp);
  if (sp.outer > INT32_MAX || sp.depth > INT32_MAX) return NULL;
  softmax_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->p = (qs8_softmax_params){(int32_t)sp.outer, (int32_t)sp.depth, sp.input_multiplier, sp.input_left_shift,
                              sp.diff_min};
  qs8_softmax_table_init(&s->p, &s->t);
  s->fn = qs8_softmax_lut_best();
  const size_t r = sp.depth ? kRowElementsPerTask / sp.depth : 1;
  s->rows_per_task = r < 1 ? 1 : (int32_t)r;
  return s;
}

static void task(void* arg, size_t i) {
  const softmax_state* s = arg;
  const int32_t begin = (int32_t)i * s->rows_per_task;
  const int32_t end = s->p.outer - begin < s->rows_per_task ? s->p.outer : begin + s->rows_per_task;
  s->fn(&s->p, &s->t, s->x, s->y, begin, end);
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  softmax_state* s = s_;
  s->x = in[0];
  s->y = out[0];
  const size_t tasks = ((size_t)s->p.outer + (size_t)s->rows_per_task - 1) / (size_t)s->rows_per_task;
  if (tasks > 1)
    eq_pool_parallel_for(pool, tasks, task, s);
  else
    task(s, 0);
  return kTfLiteOk;
}

const eq_op_kind eq_op_softmax = {{"SOFTMAX", kTfLiteBuiltinSoftmax, eq_check_softmax}, create, eval, free, NULL};
