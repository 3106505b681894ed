/* Same-shape int8 PRELU with TFLite's arithmetic (prelu.cc, reference Prelu / BroadcastPrelu4DSlow):
 * x' = x - x_zp; out = clamp(out_zp + (x' >= 0 ? MBQM(x', m_pos, s_pos) : MBQM(x' * (alpha - a_zp), m_neg, s_neg))).
 * Broadcasting (alpha per channel) walks qs8-vbinary-nd with this kernel on the innermost runs. */
#ifndef EDGEQ_QS8_VPRELU_H
#define EDGEQ_QS8_VPRELU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t x_offset, alpha_offset; /* -zero_point of input and alpha */
  int32_t mult_pos, shift_pos;    /* input_scale / output_scale */
  int32_t mult_neg, shift_neg;    /* input_scale * alpha_scale / output_scale */
  int32_t out_zp;
} qs8_prelu_params;

void qs8_vprelu_scalar(size_t n, const int8_t* x, const int8_t* alpha, int8_t* out, const qs8_prelu_params* p);

#ifdef __cplusplus
}
#endif
#endif
