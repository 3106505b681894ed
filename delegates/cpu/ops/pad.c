/* PAD of an int8 tensor (constant paddings), filled with the output zero point, i.e. the
 * quantized value of 0.0, as the int8 kernel does. Trailing axes without padding are merged into
 * the one before them, so an image padded in H and W copies whole W*C rows (672 bytes for a
 * 224x224x3 input) instead of one memcpy per pixel. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

typedef struct {
  int rank;
  int in_dims[EQ_PAD_MAX_RANK], out_dims[EQ_PAD_MAX_RANK], before[EQ_PAD_MAX_RANK];
  size_t out_count;
  int8_t fill;
} pad_state;

static void* create(TfLiteContext* ctx, const TfLiteNode* node, int threads) {
  (void)threads;
  const TfLiteTensor *in = eq_in(ctx, node, 0), *pads = eq_in(ctx, node, 1), *out = eq_out(ctx, node, 0);
  pad_state* s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  /* left-align to EQ_PAD_MAX_RANK dims */
  s->rank = EQ_PAD_MAX_RANK;
  const int r = eq_rank(in), lead = EQ_PAD_MAX_RANK - r;
  for (int d = 0; d < EQ_PAD_MAX_RANK; ++d) {
    if (d < lead) {
      s->in_dims[d] = s->out_dims[d] = 1;
      s->before[d] = 0;
    } else {
      s->in_dims[d] = eq_dim(in, d - lead);
      s->out_dims[d] = eq_dim(out, d - lead);
      s->before[d] = (int)eq_pad_amount(pads, 2 * (d - lead));
    }
  }
  /* merge an unpadded last axis into the one before it (offsets scale by its size), keeping
   * EQ_PAD_MAX_RANK dims left-aligned with 1s */
  while (s->in_dims[EQ_PAD_MAX_RANK - 1] == s->out_dims[EQ_PAD_MAX_RANK - 1] && (s->in_dims[EQ_PAD_MAX_RANK - 2] != 1 || s->out_dims[EQ_PAD_MAX_RANK - 2] != 1) &&
         s->in_dims[0] == 1 && s->out_dims[0] == 1) {
    const int last = EQ_PAD_MAX_RANK - 1, inner = s->in_dims[last];
    s->in_dims[last - 1] *= inner;
    s->out_dims[last - 1] *= inner;
    s->before[last - 1] *= inner;
    for (int d = last; d > 0; --d) {
      s->in_dims[d] = s->in_dims[d - 1];
      s->out_dims[d] = s->out_dims[d - 1];
      s->before[d] = s->before[d - 1];
    }
    s->in_dims[0] = s->out_dims[0] = 1;
    s->before[0] = 0;
  }
  s->out_count = eq_numel(out);
  s->fill = (int8_t)out->params.zero_point;
  return s;
}

static TfLiteStatus eval(void* s_, const void* const* in, void* const* out, eq_pool* pool) {
  (void)pool;
  const pad_state* s = s_;
  const int8_t* x = in[0];
  int8_t* y = out[0];
  memset(y, s->fill, s->out_count);
  const int* id = s->in_dims;
  const int* od = s->out_dims;
  const size_t row = (size_t)id[4];
  for (int a = 0; a < id[0]; ++a)
    for (int b = 0; b < id[1]; ++b)
      for (int c = 0; c < id[2]; ++c)
        for (int d = 0; d < id[3]; ++d) {
          const size_t src = (((size_t)a * id[1] + b) * id[2] + c) * id[3] + d;
          const size_t dst = ((((size_t)(a + s->before[0]) * od[1] + b + s->before[1]) * od[2] + c + s->before[2]) *
                                  od[3] + d + s->before[3]) * od[4] + s->before[4];
          memcpy(y + dst, x + src * row, row);
        }
  return kTfLiteOk;
}

const eq_op_kind eq_op_pad = {{"PAD", kTfLiteBuiltinPad, eq_check_pad}, create, eval, free, NULL};
