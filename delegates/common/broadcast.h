/* N-D broadcasting for binary elementwise ops (rank <= 5, numpy rules, like TFLite's
 * ProcessBroadcastShapes + NdArrayDesc: size-1 dims repeat). */
#ifndef EDGEQ_COMMON_BROADCAST_H
#define EDGEQ_COMMON_BROADCAST_H

#include <stddef.h>

#include "tensor.h"

#define EQ_BCAST_RANK 5

typedef struct {
  int dims[EQ_BCAST_RANK];      /* output shape, left-padded with 1s */
  size_t a_stride[EQ_BCAST_RANK]; /* 0 where a broadcasts */
  size_t b_stride[EQ_BCAST_RANK];
  size_t total;
} eq_bcast;

/* Returns 0 when a and b broadcast to out exactly. */
static inline int eq_bcast_init(eq_bcast* bc, const TfLiteTensor* a, const TfLiteTensor* b, const TfLiteTensor* out) {
  const int ro = eq_rank(out), ra = eq_rank(a), rb = eq_rank(b);
  if (ro > EQ_BCAST_RANK || ra > ro || rb > ro) return -1;
  size_t sa = 1, sb = 1;
  bc->total = 1;
  for (int i = EQ_BCAST_RANK - 1; i >= 0; --i) {
    const int oi = i - (EQ_BCAST_RANK - ro), ai = i - (EQ_BCAST_RANK - ra), bi = i - (EQ_BCAST_RANK - rb);
    const int od = oi >= 0 ? eq_dim(out, oi) : 1;
    const int ad = ai >= 0 ? eq_dim(a, ai) : 1;
    const int bd = bi >= 0 ? eq_dim(b, bi) : 1;
    if ((ad != od && ad != 1) || (bd != od && bd != 1)) return -1;
    if (od != (ad > bd ? ad : bd)) return -1;
    bc->dims[i] = od;
    bc->a_stride[i] = ad == 1 ? 0 : sa;
    bc->b_stride[i] = bd == 1 ? 0 : sb;
    sa *= (size_t)ad;
    sb *= (size_t)bd;
    bc->total *= (size_t)od;
  }
  return 0;
}

/* Merges adjacent dimensions that both inputs walk the same way (each either contiguously across
 * them or broadcasting over both), right-aligned, so the innermost run is as long as it can be:
 * x[1,H,W,C] * s[] becomes one run of H*W*C against a repeated value. */
static inline void eq_bcast_collapse(eq_bcast* bc) {
  int d = EQ_BCAST_RANK - 1; /* the dimension being extended */
  for (int i = EQ_BCAST_RANK - 2; i >= 0; --i) {
    if (bc->dims[i] == 1) continue;
    const int a_ok = (bc->a_stride[i] == 0 && bc->a_stride[d] == 0) ||
                     (bc->a_stride[i] == bc->a_stride[d] * (size_t)bc->dims[d] && bc->a_stride[d] != 0);
    const int b_ok = (bc->b_stride[i] == 0 && bc->b_stride[d] == 0) ||
                     (bc->b_stride[i] == bc->b_stride[d] * (size_t)bc->dims[d] && bc->b_stride[d] != 0);
    if (bc->dims[d] == 1) { /* an empty slot: move this dimension into it */
      bc->dims[d] = bc->dims[i];
      bc->a_stride[d] = bc->a_stride[i];
      bc->b_stride[d] = bc->b_stride[i];
    } else if (a_ok && b_ok) {
      bc->dims[d] *= bc->dims[i];
    } else {
      --d;
      bc->dims[d] = bc->dims[i];
      bc->a_stride[d] = bc->a_stride[i];
      bc->b_stride[d] = bc->b_stride[i];
      if (d == i) continue;
    }
    bc->dims[i] = 1;
    bc->a_stride[i] = bc->b_stride[i] = 0;
  }
}

/* Calls body(ctx, out_index, a_index, b_index) for every output element in order. */
#define EQ_BCAST_FOR(bc, OI, AI, BI, BODY)                                                        \
  do {                                                                                            \
    size_t OI = 0;                                                                                \
    for (int i0 = 0; i0 < (bc)->dims[0]; ++i0)                                                    \
      for (int i1 = 0; i1 < (bc)->dims[1]; ++i1)                                                  \
        for (int i2 = 0; i2 < (bc)->dims[2]; ++i2)                                                \
          for (int i3 = 0; i3 < (bc)->dims[3]; ++i3) {                                            \
            size_t a_base = i0 * (bc)->a_stride[0] + i1 * (bc)->a_stride[1] +                     \
                            i2 * (bc)->a_stride[2] + i3 * (bc)->a_stride[3];                      \
            size_t b_base = i0 * (bc)->b_stride[0] + i1 * (bc)->b_stride[1] +                     \
                            i2 * (bc)->b_stride[2] + i3 * (bc)->b_stride[3];                      \
            for (int i4 = 0; i4 < (bc)->dims[4]; ++i4, ++OI) {                                    \
              size_t AI = a_base + i4 * (bc)->a_stride[4];                                        \
              size_t BI = b_base + i4 * (bc)->b_stride[4];                                        \
              BODY;                                                                               \
            }                                                                                     \
          }                                                                                       \
  } while (0)

#endif
