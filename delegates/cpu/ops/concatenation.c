/* CONCATENATION of int8 tensors sharing the output's quantization (what the int8
 * kernel requires): strided copies along the axis. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

typedef struct {
  int n_inputs;
  size_t outer;
  size_t* chunk; /* bytes per outer step for each input */
  size_t out_chunk;
} concat_state;


static void concat_destroy(void* s_) {
  concat_state* s = s_;
  if (s) free(s->chunk);
  free(s);
}

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor* out = eq_out(ctx, node, 0);
  concat_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  int axis;
  size_t inner;
  eq_concatenation_layout(ctx, node, &axis, &s->outer, &inner);
  s->n_inputs = node->inputs->size;
  s->chunk = malloc(sizeof(size_t) * (size_t)s->n_inputs);
  if (!s->chunk) {
    concat_destroy(s);
    return NULL;
  }
  for (int i = 0; i < s->n_inputs; ++i) s->chunk[i] = (size_t)eq_dim(eq_in(ctx, node, i), axis) * inner;
  s->out_chunk = (size_t)eq_dim(out, axis) * inner;
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const concat_state* s = s_;
  int8_t* o = out[0];
  for (size_t k = 0; k < s->outer; ++k) {
    int8_t* dst = o + k * s->out_chunk;
    for (int i = 0; i < s->n_inputs; ++i) {
      memcpy(dst, (const int8_t*)in[i] + k * s->chunk[i], s->chunk[i]);
      dst += s->chunk[i];
    }
  }
  return kTfLiteOk;
}

const eq_op_kind eq_op_concatenation = {{"CONCATENATION", kTfLiteBuiltinConcatenation, eq_check_concatenation},
                                        create, eval, concat_destroy, NULL};
