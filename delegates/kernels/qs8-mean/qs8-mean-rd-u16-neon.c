/* aarch64 NEON MEAN over a contiguous block of rows (global average pooling), channels [c0, c1):
 * per tile of 16 (then 8) channels the rows are added into int16 lanes, eight rows per step (16
 * channels, in asm) or two (8 channels), 256 rows at a time (|sum| <= 256 * 128 fits), then widened into int32 accumulators that stay in
 * registers for the whole reduction; the requantization is the scalar kernel's (sum - zp * count
 * wraps like its uint32 arithmetic, double rounding, zero point added in int32, clamp). Remaining
 * channels (< 8) go to the scalar kernel. */
#include <arm_neon.h>

#include "base/requant-neon.h"
#include "qs8-mean/qs8-mean.h"

typedef struct {
  int32x4_t zp_sum, mult, shift, out_zp, lo, hi;
} consts;

static inline int16x4_t rq(int32x4_t sum, const consts* k) {
  const int32x4_t r = vaddq_s32(eq_neon_mbqm_double(vsubq_s32(sum, k->zp_sum), k->mult, k->shift), k->out_zp);
  return vmovn_s32(vminq_s32(vmaxq_s32(r, k->lo), k->hi)); /* clamped: narrowing only */
}

/* rows8 steps of eight rows into the int16 sums l (channels 0-7) and h (8-15): one load with the
 * row stride as post-increment and two widening adds per row (3.25 instructions per row) */
static inline const int8_t* rows8(const int8_t* in, size_t inner, size_t steps, int16x8_t* l, int16x8_t* h) {
  int16x8_t vl = *l, vh = *h;
  __asm__ volatile(
      "1:\n\t"
      "ld1 {v24.16b}, [%[in]], %[s]\n\t" "ld1 {v25.16b}, [%[in]], %[s]\n\t"
      "ld1 {v26.16b}, [%[in]], %[s]\n\t" "ld1 {v27.16b}, [%[in]], %[s]\n\t"
      "saddw %[l].8h, %[l].8h, v24.8b\n\t" "saddw2 %[h].8h, %[h].8h, v24.16b\n\t"
      "saddw %[l].8h, %[l].8h, v25.8b\n\t" "saddw2 %[h].8h, %[h].8h, v25.16b\n\t"
      "ld1 {v28.16b}, [%[in]], %[s]\n\t" "ld1 {v29.16b}, [%[in]], %[s]\n\t"
      "saddw %[l].8h, %[l].8h, v26.8b\n\t" "saddw2 %[h].8h, %[h].8h, v26.16b\n\t"
      "saddw %[l].8h, %[l].8h, v27.8b\n\t" "saddw2 %[h].8h, %[h].8h, v27.16b\n\t"
      "ld1 {v30.16b}, [%[in]], %[s]\n\t" "ld1 {v31.16b}, [%[in]], %[s]\n\t"
      "saddw %[l].8h, %[l].8h, v28.8b\n\t" "saddw2 %[h].8h, %[h].8h, v28.16b\n\t"
      "saddw %[l].8h, %[l].8h, v29.8b\n\t" "saddw2 %[h].8h, %[h].8h, v29.16b\n\t"
      "saddw %[l].8h, %[l].8h, v30.8b\n\t" "saddw2 %[h].8h, %[h].8h, v30.16b\n\t"
      "saddw %[l].8h, %[l].8h, v31.8b\n\t" "saddw2 %[h].8h, %[h].8h, v31.16b\n\t"
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      : [in] "+r"(in), [n] "+r"(steps), [l] "+w"(vl), [h] "+w"(vh)
      : [s] "r"(inner)
      : "cc", "memory", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  *l = vl, *h = vh;
  return in;
}

static void tile16(const int8_t* in, size_t reduce, size_t inner, int8_t* out, const consts* k) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  for (size_t r = 0; r < reduce;) {
    const size_t end = reduce - r > 256 ? r + 256 : reduce;
    int16x8_t l = vdupq_n_s16(0), h = l;
    if (end - r >= 8) {
      const size_t steps = (end - r) / 8;
      in = rows8(in, inner, steps, &l, &h);
      r += 8 * steps;
    }
    for (; r < end; ++r, in += inner) {
      const int8x16_t v = vld1q_s8(in);
      l = vaddw_s8(l, vget_low_s8(v));
      h = vaddw_high_s8(h, v);
    }
    a0 = vaddw_s16(a0, vget_low_s16(l));
    a1 = vaddw_high_s16(a1, l);
    a2 = vaddw_s16(a2, vget_low_s16(h));
    a3 = vaddw_high_s16(a3, h);
  }
  const int16x8_t lo = vcombine_s16(rq(a0, k), rq(a1, k)), hi = vcombine_s16(rq(a2, k), rq(a3, k));
  vst1q_s8(out, vcombine_s8(vmovn_s16(lo), vmovn_s16(hi)));
}

static void tile8(const int8_t* in, size_t reduce, size_t inner, int8_t* out, const consts* k) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
  for (size_t r = 0; r < reduce;) {
    const size_t end = reduce - r > 256 ? r + 256 : reduce;
    int16x8_t l = vdupq_n_s16(0);
    for (; r + 2 <= end; r += 2, in += 2 * inner) l = vaddw_s8(vaddw_s8(l, vld1_s8(in)), vld1_s8(in + inner));
    if (r < end) l = vaddw_s8(l, vld1_s8(in)), ++r, in += inner;
    a0 = vaddw_s16(a0, vget_low_s16(l));
    a1 = vaddw_high_s16(a1, l);
  }
  vst1_s8(out, vmovn_s16(vcombine_s16(rq(a0, k), rq(a1, k))));
}

void qs8_mean_rd_channels_u16_neon(const qs8_mean_params* p, size_t outer, size_t reduce, size_t inner, size_t c0,
                                   size_t c1, const int8_t* input, int8_t* output, int32_t* sums) {
  const consts k = {vdupq_n_s32((int32_t)((uint32_t)p->in_zp * (uint32_t)p->count)), vdupq_n_s32(p->mult),
                    vdupq_n_s32(p->shift), vdupq_n_s32(p->out_zp), vdupq_n_s32(-128), vdupq_n_s32(127)};
  for (size_t o = 0; o < outer; ++o) {
    const int8_t* base = input + o * reduce * inner;
    int8_t* out = output + o * inner;
    size_t c = c0;
    for (; c + 16 <= c1; c += 16) tile16(base + c, reduce, inner, out + c, &k);
    if (c + 8 <= c1) tile8(base + c, reduce, inner, out + c, &k), c += 8;
    if (c < c1) qs8_mean_rd_channels(p, 1, reduce, inner, c, c1, base, out, sums);
  }
}
