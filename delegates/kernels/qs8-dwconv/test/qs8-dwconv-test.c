/* Every depthwise variant this CPU can run against a direct reference depthwise conv
 * (TFLite's loop: padding taps skipped, acc += w * (x - in_zp), double rounding), byte for
 * byte, over random shapes, strides, dilations, paddings, channel tails, int8/int4 weights
 * and extreme values. Prints one line per variant; exit status 1 on any mismatch.
 * Then the same for QS8_DW_REQUANT_FP32 (mode=fast) against a naive fp32 reference ("fp32 isa=..."
 * lines), also checking that fp32 stays within +-1 of the exact reference (max_diff_vs_exact). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/int4.h"
#include "base/requant.h"
#include "qs8-dwconv/qs8-dwconv.h"

#define EQ_TEST_SEED 0x9E3779B97F4A7C15ull
#include "base/test/rng.h"

typedef struct {
  qs8_dw_geometry g;
  int out_h, bits, extreme;
  int8_t *in, *w8, *out_ref, *out_ref32; /* exact and fp32 (mode=fast) references */
  uint8_t* w4;
  int32_t *bias, *mult, *shift;
  int32_t in_zp, out_zp, lo, hi;
} dw_case;

static int32_t wval(const dw_case* k, size_t i) { return k->bits == 8 ? k->w8[i] : eq_int4_at(k->w4, i); }

static void reference(const dw_case* k) {
  const qs8_dw_geometry* g = &k->g;
  const int C = g->channels;
  for (int oy = 0; oy < k->out_h; ++oy)
    for (int ox = 0; ox < g->out_w; ++ox)
      for (int c = 0; c < C; ++c) {
        int32_t acc = 0;
        for (int ky = 0; ky < g->kh; ++ky)
          for (int kx = 0; kx < g->kw; ++kx) {
            const int iy = oy * g->sh - g->pad_top + ky * g->dh, ix = ox * g->sw - g->pad_left + kx * g->dw;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) continue;
            acc += wval(k, ((size_t)ky * g->kw + kx) * C + c) * (k->in[((size_t)iy * g->in_w + ix) * C + c] - k->in_zp);
          }
        acc += k->bias ? k->bias[c] : 0;
        const int32_t v = eq_mbqm(acc, k->mult[c], k->shift[c]) + k->out_zp;
        k->out_ref[((size_t)oy * g->out_w + ox) * C + c] = (int8_t)eq_clamp(v, k->lo, k->hi);
        /* fp32: float scale from the Q31 pair, one float multiply, clamp, round half to even */
        const float scale = (float)((double)k->mult[c] / (double)(UINT64_C(1) << (31 - k->shift[c])));
        double x = (float)acc * scale;
        if (x < k->lo - k->out_zp) x = k->lo - k->out_zp;
        if (x > k->hi - k->out_zp) x = k->hi - k->out_zp;
        int32_t r = (int32_t)x;
        if ((double)r > x) r--; /* floor */
        if (x - r > 0.5 || (x - r == 0.5 && (r & 1))) r++;
        k->out_ref32[((size_t)oy * g->out_w + ox) * C + c] = (int8_t)(r + k->out_zp);
      }
}

static void make_case(dw_case* k, int idx) {
  static const int channels[] = {1, 3, 8, 15, 16, 17, 24, 31, 32, 33, 64, 96, 100, 144};
  memset(k, 0, sizeof(*k));
  qs8_dw_geometry* g = &k->g;
  g->channels = channels[idx % (int)(sizeof(channels) / sizeof(channels[0]))];
  const int square3 = idx % 3 != 2; /* most cases 3x3 (the fast path), the rest any size */
  g->kh = square3 ? 3 : rint_in(1, 5);
  g->kw = square3 ? 3 : rint_in(1, 5);
  if (idx % 6 == 5) { /* every tap count class of the SDOT kernel: groups of four and 0-3 left */
    static const int sizes[][2] = {{5, 5}, {1, 1}, {1, 2}, {1, 3}, {2, 2}, {1, 5}, {2, 3}, {2, 5}, {3, 5}, {4, 4}, {4, 5}, {5, 5}};
    const int s = (idx / 6) % (int)(sizeof(sizes) / sizeof(sizes[0]));
    g->kh = sizes[s][0];
    g->kw = sizes[s][1];
  }
  g->sh = g->sw = rint_in(1, 2);
  if (idx % 7 == 6) g->sw = 3;
  g->dh = g->dw = idx % 5 == 4 ? 2 : 1;
  g->in_h = rint_in(1, 12);
  g->in_w = rint_in(1, 12);
  const int same = rnd() & 1;
  const int eff_h = (g->kh - 1) * g->dh + 1, eff_w = (g->kw - 1) * g->dw + 1;
  if (!same && (g->in_h < eff_h || g->in_w < eff_w)) {
    g->in_h = g->in_h < eff_h ? eff_h : g->in_h;
    g->in_w = g->in_w < eff_w ? eff_w : g->in_w;
  }
  k->out_h = same ? (g->in_h + g->sh - 1) / g->sh : (g->in_h - eff_h) / g->sh + 1;
  g->out_w = same ? (g->in_w + g->sw - 1) / g->sw : (g->in_w - eff_w) / g->sw + 1;
  const int ph = (k->out_h - 1) * g->sh + eff_h - g->in_h, pw = (g->out_w - 1) * g->sw + eff_w - g->in_w;
  g->pad_top = ph > 0 ? ph / 2 : 0;
  g->pad_left = pw > 0 ? pw / 2 : 0;
  k->bits = idx % 4 == 3 ? 4 : 8;
  k->extreme = idx % 11 == 10;
  const size_t C = (size_t)g->channels, taps = (size_t)g->kh * g->kw;
  const size_t n_in = (size_t)g->in_h * g->in_w * C, n_w = taps * C;
  k->in = malloc(n_in);
  k->w8 = malloc(n_w);
  k->w4 = calloc((n_w + 1) / 2, 1);
  k->out_ref = malloc((size_t)k->out_h * g->out_w * C);
  k->out_ref32 = malloc((size_t)k->out_h * g->out_w * C);
  k->bias = idx % 9 == 8 ? NULL : malloc(sizeof(int32_t) * C);
  k->mult = malloc(sizeof(int32_t) * C);
  k->shift = malloc(sizeof(int32_t) * C);
  for (size_t i = 0; i < n_in; ++i) k->in[i] = k->extreme ? (rnd() & 1 ? -128 : 127) : (int8_t)rnd();
  for (size_t i = 0; i < n_w; ++i) {
    int v = k->bits == 8 ? (k->extreme ? -128 : (int8_t)rnd()) : (k->extreme ? -8 : rint_in(-8, 7));
    /* odd cases have no -128 weight, so the NEON kernel takes its int8 tap-pair path (extreme
     * ones at its int16 bound, 2 * 128 * 127); even ones keep the widening path */
    if (k->bits == 8 && idx % 2 == 1 && v == -128) v = k->extreme && (rnd() & 1) ? 127 : -127;
    k->w8[i] = (int8_t)v;
    k->w4[i / 2] |= (uint8_t)((v & 0xF) << (i & 1 ? 4 : 0));
  }
  k->in_zp = k->extreme ? (rnd() & 1 ? -128 : 127) : rint_in(-128, 127);
  k->out_zp = rint_in(-128, 127);
  k->lo = rint_in(-128, 0);
  k->hi = rint_in(k->lo, 127);
  /* a third of the cases without a clamp (no fused activation, or ReLU/ReLU6 over the whole int8
   * range): the assembly kernels' variants whose saturating narrow is the clamp (3x3 right-shift
   * cases with and without -128 weights, and every tap count class) */
  if (idx % 6 == 0 || idx % 12 == 3 || idx % 12 == 5) k->lo = -128, k->hi = 127;
  for (size_t c = 0; c < C; ++c) {
    if (k->bias) k->bias[c] = rint_in(-40000, 40000);
    /* QuantizeMultiplier ranges: Q31 multiplier in [2^30, 2^31), shift mostly negative */
    k->mult[c] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFF));
    /* a third of the 3x3 cases and half the others all negative (the right-shift-only
     * requantization of NEON, NEON SDOT and AVX-512) */
    k->shift[c] = idx % 3 == 0 || idx % 6 == 5 ? rint_in(-31, -1) : rint_in(-14, 1);
    if (c % 13 == 12) k->shift[c] = -31; /* rounding of tiny scales */
  }
  reference(k);
}

static void free_case(dw_case* k) {
  free(k->in); free(k->w8); free(k->w4); free(k->out_ref); free(k->out_ref32); free(k->bias); free(k->mult); free(k->shift);
}

static long run_variant(const dw_case* k, edgeq_isa isa, int fp32) {
  const qs8_dw_geometry* g = &k->g;
  const size_t C = (size_t)g->channels, taps = (size_t)g->kh * g->kw;
  qs8_dwconv_desc d = {g->channels, (int32_t)taps, k->bits == 8 ? (const void*)k->w8 : (const void*)k->w4,
                       k->bits, k->bias, k->mult, k->shift, k->in_zp, k->out_zp, k->lo, k->hi};
  qs8_dwconv_plan* plan = fp32 ? qs8_dwconv_plan_create_requant(&d, isa, QS8_DW_REQUANT_FP32)
                               : qs8_dwconv_plan_create(&d, isa);
  const int8_t* want = fp32 ? k->out_ref32 : k->out_ref;
  if (!plan) return -1;
  const int8_t** ind = malloc(sizeof(*ind) * (size_t)g->out_w * taps);
  /* output rows are written with a stride wider than C: kernels must not touch the gap */
  const size_t stride = C + 5;
  int8_t* out = malloc((size_t)k->out_h * g->out_w * stride);
  memset(out, 0x5A, (size_t)k->out_h * g->out_w * stride);
  long bad = 0;
  for (int oy = 0; oy < k->out_h; ++oy) {
    qs8_dwconv_indirect_row(g, k->in, qs8_dwconv_plan_zero_row(plan), oy, ind);
    qs8_dwconv_run(plan, (size_t)g->out_w, ind, out + (size_t)oy * g->out_w * stride, stride);
  }
  for (size_t p = 0; p < (size_t)k->out_h * g->out_w; ++p) {
    for (size_t c = 0; c < C; ++c) bad += out[p * stride + c] != want[p * C + c];
    for (size_t c = C; c < stride; ++c) bad += out[p * stride + c] != 0x5A;
  }
  free(ind);
  free(out);
  qs8_dwconv_plan_destroy(plan);
  return bad;
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 400;
  static const edgeq_isa isas[] = {EDGEQ_ISA_SCALAR, EDGEQ_ISA_AVX2, EDGEQ_ISA_AVX512, EDGEQ_ISA_AVX512VNNI,
                                   EDGEQ_ISA_NEON,   EDGEQ_ISA_NEON_DOT};
  long bad_total = 0;
  printf("detected=%s\n", edgeq_isa_name(qs8_dwconv_best_isa()));
  for (size_t vm = 0; vm < 2 * sizeof(isas) / sizeof(isas[0]); ++vm) {
    const int fp32 = vm >= sizeof(isas) / sizeof(isas[0]);
    const size_t v = vm % (sizeof(isas) / sizeof(isas[0]));
    if (!qs8_dwconv_isa_available(isas[v])) continue;
    long bad = 0, outputs = 0, differ = 0;
    int max_diff = 0;
    rng_state = 0x9E3779B97F4A7C15ull; /* same cases for every variant */
    for (int i = 0; i < cases; ++i) {
      dw_case k;
      make_case(&k, i);
      const long b = run_variant(&k, isas[v], fp32);
      for (long j = 0; fp32 && j < (long)k.out_h * k.g.out_w * k.g.channels; ++j) {
        const int d = abs(k.out_ref32[j] - k.out_ref[j]);
        differ += d != 0;
        if (d > max_diff) max_diff = d;
      }
      if (b < 0) {
        printf("isa=%s plan creation failed\n", edgeq_isa_name(isas[v]));
        return 1;
      }
      bad += b;
      outputs += (long)k.out_h * k.g.out_w * k.g.channels;
      free_case(&k);
    }
    if (fp32) {
      printf("fp32 isa=%s cases=%d outputs=%ld mismatches=%ld differ_vs_exact=%ld max_diff_vs_exact=%d\n",
             edgeq_isa_name(isas[v]), cases, outputs, bad, differ, max_diff);
      bad += max_diff > 1; /* mode=fast promises +-1 of the exact kernel */
    } else {
      printf("isa=%s cases=%d outputs=%ld mismatches=%ld\n", edgeq_isa_name(isas[v]), cases, outputs, bad);
    }
    bad_total += bad;
  }
  return bad_total ? 1 : 0;
}
