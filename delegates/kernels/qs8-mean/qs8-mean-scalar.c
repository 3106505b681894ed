#include "qs8-mean/qs8-mean.h"
#include "base/requant.h"

void qs8_mean(const qs8_mean_params* p, const int8_t* input, int8_t* output, int32_t* sums) {
  int32_t idx[QS8_MEAN_RANK] = {0};
  size_t o = 0;
  for (int32_t i = 0; i < p->out_count; ++i) sums[i] = 0;
  for (int32_t i = 0; i < p->in_count; ++i) {
    sums[o] += input[i];
    for (int d = p->rank - 1; d >= 0; --d) { /* the N-D index and the output offset advance together */
      if (++idx[d] < p->dims[d]) {
        o += (size_t)p->out_stride[d];
        break;
      }
      o -= (size_t)p->out_stride[d] * (size_t)(p->dims[d] - 1);
      idx[d] = 0;
    }
  }
  for (int32_t i = 0; i < p->out_count; ++i) {
    const int32_t shifted = (int32_t)((uint32_t)sums[i] - (uint32_t)p->in_zp * (uint32_t)p->count);
    output[i] = eq_requantize(shifted, p->mult, p->shift, 0, p->out_zp, -128, 127);
  }
}
