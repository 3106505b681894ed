/* aarch64 NEON LUT: the 256-byte table in four 64-byte quarters (16 registers); per 16 inputs one
 * TBL on the first quarter and three TBX on index - 64k (an index outside 0..63 leaves the lane as
 * it is), 64 inputs per loop step. */
/* Variant of x8-lut-u32-avx2.c: one file per ISA, as in XNNPACK. */
#include <arm_neon.h>

#include "x8-lut/x8-lut.h"

static inline uint8x16_t lut16(uint8x16_t x, uint8x16x4_t t0, uint8x16x4_t t1, uint8x16x4_t t2, uint8x16x4_t t3) {
  const uint8x16_t k64 = vdupq_n_u8(64);
  uint8x16_t y = vqtbl4q_u8(t0, x);
  x = vsubq_u8(x, k64);
  y = vqtbx4q_u8(y, t1, x);
  x = vsubq_u8(x, k64);
  y = vqtbx4q_u8(y, t2, x);
  x = vsubq_u8(x, k64);
  return vqtbx4q_u8(y, t3, x);
}

static inline uint8x8_t lut8(uint8x8_t x, uint8x16x4_t t0, uint8x16x4_t t1, uint8x16x4_t t2, uint8x16x4_t t3) {
  const uint8x8_t k64 = vdup_n_u8(64);
  uint8x8_t y = vqtbl4_u8(t0, x);
  x = vsub_u8(x, k64);
  y = vqtbx4_u8(y, t1, x);
  x = vsub_u8(x, k64);
  y = vqtbx4_u8(y, t2, x);
  x = vsub_u8(x, k64);
  return vqtbx4_u8(y, t3, x);
}

void x8_lut_u64_neon(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]) {
  const uint8_t* t = (const uint8_t*)table;
  const uint8x16x4_t t0 = vld1q_u8_x4(t), t1 = vld1q_u8_x4(t + 64), t2 = vld1q_u8_x4(t + 128),
                     t3 = vld1q_u8_x4(t + 192);
  const uint8_t* x = (const uint8_t*)input;
  uint8_t* y = (uint8_t*)output;
  for (; n >= 64; n -= 64, x += 64, y += 64) {
    const uint8x16x4_t v = vld1q_u8_x4(x);
    uint8x16x4_t r;
    r.val[0] = lut16(v.val[0], t0, t1, t2, t3);
    r.val[1] = lut16(v.val[1], t0, t1, t2, t3);
    r.val[2] = lut16(v.val[2], t0, t1, t2, t3);
    r.val[3] = lut16(v.val[3], t0, t1, t2, t3);
    vst1q_u8_x4(y, r);
  }
  for (; n >= 16; n -= 16, x += 16, y += 16) vst1q_u8(y, lut16(vld1q_u8(x), t0, t1, t2, t3));
  if (n >= 8) {
    vst1_u8(y, lut8(vld1_u8(x), t0, t1, t2, t3));
    n -= 8, x += 8, y += 8;
  }
  for (; n != 0; --n) *y++ = t[*x++]; /* never touch memory past the tensors */
}
