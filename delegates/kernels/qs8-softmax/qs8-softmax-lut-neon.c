/* NEON table softmax: 8 outputs per step, the exps read by difference to the row maximum and
 * rescaled with vqrdmulh (gemmlowp's SRDHM) and RoundingDivideByPOT (eq_neon_mbqm_double). */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-softmax/qs8-softmax-row.h"

void qs8_softmax_lut_neon(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                          int8_t* output, int32_t row_begin, int32_t row_end) {
  const size_t depth = (size_t)p->depth;
  const int32x4_t bias = vdupq_n_s32(-128);
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int8_t* row = input + (size_t)i * depth;
    int8_t* dst = output + (size_t)i * depth;
    qs8_softmax_row r;
    if (!qs8_softmax_row_init(t, row, depth, &r)) {
      memset(dst, -128, depth);
      continue;
    }
    const int32x4_t vscale = vdupq_n_s32(r.scale), vshift = vdupq_n_s32(-r.exponent);
    size_t c = 0;
    for (; c + 8 <= depth; c += 8) {
      int32_t e[8];
      for (int j = 0; j < 8; ++j) e[j] = t->exp[r.max - row[c + j]];
      const int32x4_t v0 = vaddq_s32(eq_neon_mbqm_double(vld1q_s32(e), vscale, vshift), bias);
      const int32x4_t v1 = vaddq_s32(eq_neon_mbqm_double(vld1q_s32(e + 4), vscale, vshift), bias);
      /* unsat - 128 lies in [-128, 128]: the saturating narrows clamp it */
      vst1_s8(dst + c, vqmovn_s16(vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1))));
    }
    for (; c < depth; ++c) {
      const int32_t unsat = eq_rdpot(fp_mul(r.scale, t->exp[r.max - row[c]]), r.exponent);
      dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
    }
  }
}
