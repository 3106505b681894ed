/* NEON table softmax. An element's output depends only on d = row max - x (0..255) and on the row's
 * reciprocal (scale, exponent), so each row builds its output table
 *   u[d] = clamp(RoundingDivideByPOT(SRDHM(scale, exp[d]), exponent), 0, 255)   (= output + 128)
 * on vector lanes, 16 differences per step (exp[d] and scale are >= 0, so srshl's ties-up rounding is
 * RoundingDivideByPOT's away-from-zero and the saturating narrows are the clamp), and stops where the
 * largest exp of every d from there on gives 0 (u grows with exp: the rest of the table is 0); then reads each
 * element's output from that table with TBL / TBX over its 64-byte chunks (a difference past the built
 * chunks reads 0, i.e. -128) and flips the top bit. The row maximum is a vector reduction; the Q12 sum
 * of exps stays a scalar table read per element (its entries need up to 20 bits), with the differences
 * taken 16 at a time on vector lanes. Rows shorter than 16 take the scalar loop. */
#include <arm_neon.h>
#include <string.h>

#include "base/requant-neon.h"
#include "qs8-softmax/qs8-softmax-row.h"

static void row_scalar(const qs8_softmax_table* t, const int8_t* row, int8_t* dst, size_t depth) {
  qs8_softmax_row r;
  if (!qs8_softmax_row_init(t, row, depth, &r)) {
    memset(dst, -128, depth);
    return;
  }
  for (size_t c = 0; c < depth; ++c) {
    const int32_t unsat = eq_rdpot(fp_mul(r.scale, t->exp[r.max - row[c]]), r.exponent);
    dst[c] = (int8_t)eq_clamp(unsat - 128, -128, 127);
  }
}

/* chunks (1..4) of 64 table bytes: u[d] for d < 64 * chunks, 0 beyond */
static inline uint8x16_t lookup(const uint8x16x4_t* tab, int chunks, uint8x16_t d) {
  uint8x16_t u = vqtbl4q_u8(tab[0], d);
  const uint8x16_t k64 = vdupq_n_u8(64);
  for (int k = 1; k < chunks; ++k) {
    d = vsubq_u8(d, k64);
    u = vqtbx4q_u8(u, tab[k], d);
  }
  return u;
}

/* tail[k]: the largest exp[d] over d >= 16k (tail[16] = 0) */
static void exp_tails(const qs8_softmax_table* t, int32_t tail[17]) {
  tail[16] = 0;
  for (int k = 15; k >= 0; --k) {
    int32_t m = tail[k + 1];
    for (int d = 16 * k; d < 16 * k + 16; ++d) m = t->exp[d] > m ? t->exp[d] : m;
    tail[k] = m;
  }
}

static void row_neon(const qs8_softmax_table* t, const int32_t tail[17], const int8_t* row, int8_t* dst,
                     size_t depth) {
  /* maximum */
  int8x16_t vm = vld1q_s8(row);
  size_t c = 16;
  for (; c + 16 <= depth; c += 16) vm = vmaxq_s8(vm, vld1q_s8(row + c));
  int32_t max = vmaxvq_s8(vm);
  for (; c < depth; ++c) max = row[c] > max ? row[c] : max;
  /* sum of exps (Q12): differences on vector lanes, table reads scalar */
  const uint8x16_t vmax = vdupq_n_u8((uint8_t)max);
  int32_t sum = 0;
  const size_t blocks = depth / 16;
  {
    const int8_t* x = row;
    size_t n = blocks;
#define SM_SUM1(J) "umov w9, v0.b[" #J "]\n\t" "ldr w9, [%[tab], w9, uxtw #2]\n\t" "add %w[sum], %w[sum], w9\n\t"
    __asm__ volatile(
        "1:\n\t"
        "ld1 {v0.16b}, [%[x]], #16\n\t"
        "sub v0.16b, %[vmax].16b, v0.16b\n\t"
        SM_SUM1(0) SM_SUM1(1) SM_SUM1(2) SM_SUM1(3) SM_SUM1(4) SM_SUM1(5) SM_SUM1(6) SM_SUM1(7)
        SM_SUM1(8) SM_SUM1(9) SM_SUM1(10) SM_SUM1(11) SM_SUM1(12) SM_SUM1(13) SM_SUM1(14) SM_SUM1(15)
        "subs %[n], %[n], #1\n\t"
        "b.ne 1b\n\t"
        : [x] "+r"(x), [n] "+r"(n), [sum] "+r"(sum)
        : [vmax] "w"(vmax), [tab] "r"(t->sum)
        : "cc", "memory", "x9", "v0");
#undef SM_SUM1
  }
  for (c = blocks * 16; c < depth; ++c) sum += t->sum[max - row[c]];
  /* the reciprocal, as qs8_softmax_row_init */
  const int headroom_plus_one = __builtin_clz((uint32_t)sum);
  const int32_t exponent = 12 - headroom_plus_one + 31 - 8;
  if (exponent > 31) {
    memset(dst, -128, depth);
    return;
  }
  const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum << headroom_plus_one) - ((uint32_t)1 << 31));
  const int32_t scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
  const int32x4_t vscale = vdupq_n_s32(scale), vshift = vdupq_n_s32(-exponent);
  /* the row's output table, 16 entries a step while some entry left can be above 0: u(e) > 0 exactly
   * when SRDHM(scale, e) = (scale * e + 2^30) >> 31 >= 2^(exponent - 1), i.e. e >= e_min */
  const int64_t num = ((int64_t)1 << (30 + exponent)) - ((int64_t)1 << 30);
  const int64_t e_min = (num + scale - 1) / scale;
  uint8_t u[256] __attribute__((aligned(16)));
  size_t built = 0;
  while (built < 256 && tail[built / 16] >= e_min) {
    const int32x4x4_t e = vld1q_s32_x4(t->exp + built);
    const int32x4_t r0 = vrshlq_s32(vqrdmulhq_s32(e.val[0], vscale), vshift);
    const int32x4_t r1 = vrshlq_s32(vqrdmulhq_s32(e.val[1], vscale), vshift);
    const int32x4_t r2 = vrshlq_s32(vqrdmulhq_s32(e.val[2], vscale), vshift);
    const int32x4_t r3 = vrshlq_s32(vqrdmulhq_s32(e.val[3], vscale), vshift);
    const uint16x8_t l = vqmovun_high_s32(vqmovun_s32(r0), r1), h = vqmovun_high_s32(vqmovun_s32(r2), r3);
    const uint8x16_t v = vqmovn_high_u16(vqmovn_u16(l), h);
    vst1q_u8(u + built, v);
    built += 16;
  }
  const int chunks = built ? (int)((built + 63) / 64) : 1;
  for (size_t z = built; z < (size_t)chunks * 64; z += 16) vst1q_u8(u + z, vdupq_n_u8(0));
  uint8x16x4_t tab[4];
  for (int k = 0; k < chunks; ++k) tab[k] = vld1q_u8_x4(u + 64 * k);
  /* outputs: row[c] is read before dst[c] is written (in place is fine) */
  const uint8x16_t top = vdupq_n_u8(0x80);
  for (c = 0; c + 16 <= depth; c += 16) {
    const uint8x16_t d = vsubq_u8(vmax, vreinterpretq_u8_s8(vld1q_s8(row + c)));
    vst1q_s8(dst + c, vreinterpretq_s8_u8(veorq_u8(lookup(tab, chunks, d), top)));
  }
  for (; c < depth; ++c) {
    const int32_t d = max - row[c];
    dst[c] = (int8_t)((d < 64 * chunks ? u[d] : 0) ^ 0x80);
  }
}

void qs8_softmax_lut_neon(const qs8_softmax_params* p, const qs8_softmax_table* t, const int8_t* input,
                          int8_t* output, int32_t row_begin, int32_t row_end) {
  const size_t depth = (size_t)p->depth;
  int32_t tail[17];
  if (depth >= 16) exp_tails(t, tail);
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int8_t* row = input + (size_t)i * depth;
    int8_t* dst = output + (size_t)i * depth;
    if (depth < 16)
      row_scalar(t, row, dst, depth);
    else
      row_neon(t, tail, row, dst, depth);
  }
}
