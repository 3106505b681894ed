/* MEAN over a contiguous block of axes ("reduce discontiguous", as XNNPACK's rdsum): portable C
 * whose inner loop the compiler vectorizes; bit-exact with qs8_mean (the same sums, the same
 * requantization). */
#include "qs8-mean/qs8-mean.h"
#include "base/requant.h"

void qs8_mean_rd(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, const int8_t* input,
                 int8_t* output, int32_t* sums) {
  const int32_t zp_sum = (int32_t)((uint32_t)p->in_zp * (uint32_t)p->count);
  if (inner == 1) { /* the last axis (LayerNorm's means): one contiguous sum per row, vectorized */
    for (size_t o = 0; o < outer; ++o, input += reduce) {
      int32_t sum = 0;
      for (size_t r = 0; r < reduce; ++r) sum += input[r];
      output[o] = eq_requantize((int32_t)((uint32_t)sum - (uint32_t)zp_sum), p->mult, p->shift, 0, p->out_zp, -128, 127);
    }
    return;
  }
  for (size_t o = 0; o < outer; ++o, output += inner) {
    for (size_t c = 0; c < inner; ++c) sums[c] = 0;
    for (size_t r = 0; r < reduce; ++r, input += inner)
      for (size_t c = 0; c < inner; ++c) sums[c] += input[c];
    for (size_t c = 0; c < inner; ++c)
      output[c] = eq_requantize((int32_t)((uint32_t)sums[c] - (uint32_t)zp_sum), p->mult, p->shift, 0, p->out_zp, -128, 127);
  }
}

void qs8_mean_rd_channels(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, size_t c0, size_t c1,
                          const int8_t* input, int8_t* output, int32_t* sums) {
  const int32_t zp_sum = (int32_t)((uint32_t)p->in_zp * (uint32_t)p->count);
  const size_t w = c1 - c0;
  for (size_t o = 0; o < outer; ++o) {
    const int8_t* in = input + o * reduce * inner + c0;
    for (size_t c = 0; c < w; ++c) sums[c] = 0;
    for (size_t r = 0; r < reduce; ++r, in += inner)
      for (size_t c = 0; c < w; ++c) sums[c] += in[c];
    for (size_t c = 0; c < w; ++c)
      output[o * inner + c0 + c] =
          eq_requantize((int32_t)((uint32_t)sums[c] - (uint32_t)zp_sum), p->mult, p->shift, 0, p->out_zp, -128, 127);
  }
}

void qs8_mean_rd_add_rows(size_t r0, size_t r1, size_t inner, const int8_t* input, int32_t* sums) {
  const int8_t* in = input + r0 * inner;
  for (size_t r = r0; r < r1; ++r, in += inner)
    for (size_t c = 0; c < inner; ++c) sums[c] = (int32_t)((uint32_t)sums[c] + (uint32_t)in[c]);
}

void qs8_mean_rd_requant(const qs8_mean_params* p, size_t inner, const int32_t* sums, int8_t* output) {
  const int32_t zp_sum = (int32_t)((uint32_t)p->in_zp * (uint32_t)p->count);
  for (size_t c = 0; c < inner; ++c)
    output[c] = eq_requantize((int32_t)((uint32_t)sums[c] - (uint32_t)zp_sum), p->mult, p->shift, 0, p->out_zp, -128, 127);
}
