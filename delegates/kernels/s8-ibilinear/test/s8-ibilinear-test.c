/* s8_ibilinear_row (the NEON 8-channel steps on aarch64, the portable loop elsewhere) over whole images against
 * TFLite's ResizeBilinearInteger written out here as the reference states it: int64 sum of the four products,
 * rounded by +-2^19 and C division by 2^20, coordinates by ComputeInterpolationValuesInteger. Random sizes
 * (up- and downsampling), channel counts around the 8-channel step, half_pixel_centers / align_corners / neither,
 * inputs over all of int8 and at -128 / 127. Exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>

#include "base/test/rng.h"
#include "s8-ibilinear/s8-ibilinear.h"

static void ref_coord(int32_t i, int32_t scale, int hpc, int32_t in, int32_t* v, int32_t* lo, int32_t* hi) {
  *v = hpc ? i * scale + scale / 2 - (1 << 9) : i * scale;
  *lo = *v / (1 << 10) > 0 ? *v / (1 << 10) : 0;
  *hi = (*v + (1 << 10) - 1) / (1 << 10) < in - 1 ? (*v + (1 << 10) - 1) / (1 << 10) : in - 1;
}

int main(int argc, char** argv) {
  const int cases = argc > 1 ? atoi(argv[1]) : 300;
  static const int chans[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 48};
  long bad = 0, outputs = 0, skipped = 0;
  for (int k = 0; k < cases; ++k) {
    const int ih = rint_in(1, 9), iw = rint_in(1, 9), oh = rint_in(1, 19), ow = rint_in(1, 19);
    const int C = chans[k % 10], mode = k % 3, hpc = mode == 1, align = mode == 2;
    const int32_t sy = s8_ibilinear_scale(ih, oh, align), sx = s8_ibilinear_scale(iw, ow, align);
    int ok = 1; /* the delegate declines sizes whose lower index leaves the input: skip those here too */
    for (int y = 0; y < oh; ++y) {
      int32_t v, lo, hi;
      ref_coord(y, sy, hpc, ih, &v, &lo, &hi);
      ok &= lo <= ih - 1;
    }
    for (int x = 0; x < ow; ++x) {
      int32_t v, lo, hi;
      ref_coord(x, sx, hpc, iw, &v, &lo, &hi);
      ok &= lo <= iw - 1;
    }
    if (!ok) {
      ++skipped;
      continue;
    }
    int8_t* in = malloc((size_t)ih * iw * C);
    int8_t* out = malloc((size_t)oh * ow * C + 16);
    int32_t *x0 = malloc(sizeof(int32_t) * ow), *x1 = malloc(sizeof(int32_t) * ow), *dx = malloc(sizeof(int32_t) * ow);
    for (int i = 0; i < ih * iw * C; ++i) in[i] = (int8_t)(k % 7 == 3 ? (i & 1 ? 127 : -128) : (int8_t)rnd());
    for (int x = 0; x < ow; ++x) {
      s8_ibilinear_coord(x, sx, hpc, iw, &dx[x], &x0[x], &x1[x]);
      x0[x] *= C, x1[x] *= C;
    }
    for (int i = 0; i < oh * ow * C + 16; ++i) out[i] = 0x5A;
    for (int y = 0; y < oh; ++y) {
      int32_t dy, y0, y1;
      s8_ibilinear_coord(y, sy, hpc, ih, &dy, &y0, &y1);
      s8_ibilinear_row((size_t)C, (size_t)ow, in + (size_t)y0 * iw * C, in + (size_t)y1 * iw * C, dy, x0, x1, dx,
                       out + (size_t)y * ow * C);
    }
    for (int y = 0; y < oh; ++y) {
      int32_t vy, ry0, ry1;
      ref_coord(y, sy, hpc, ih, &vy, &ry0, &ry1);
      for (int x = 0; x < ow; ++x) {
        int32_t vx, rx0, rx1;
        ref_coord(x, sx, hpc, iw, &vx, &rx0, &rx1);
        for (int c = 0; c < C; ++c) {
          const int64_t fy = vy - (1 << 10) * ry0, fx = vx - (1 << 10) * rx0;
          const int64_t t = (int64_t)in[(ry0 * iw + rx0) * C + c] * ((1 << 10) - fy) * ((1 << 10) - fx) +
                            (int64_t)in[(ry1 * iw + rx0) * C + c] * fy * ((1 << 10) - fx) +
                            (int64_t)in[(ry0 * iw + rx1) * C + c] * ((1 << 10) - fy) * fx +
                            (int64_t)in[(ry1 * iw + rx1) * C + c] * fy * fx;
          const int64_t round = t > 0 ? (1 << 19) : -(1 << 19);
          bad += out[(y * ow + x) * C + c] != (int8_t)((t + round) / (1 << 20));
          ++outputs;
        }
      }
    }
    for (int i = oh * ow * C; i < oh * ow * C + 16; ++i) bad += out[i] != 0x5A;
    free(in), free(out), free(x0), free(x1), free(dx);
  }
#if defined(__aarch64__)
  const char* isa = "neon";
#else
  const char* isa = "portable";
#endif
  printf("isa=%s cases=%d outputs=%ld mismatches=%ld skipped=%ld\n", isa, cases, outputs, bad, skipped);
  return bad ? 1 : 0;
}
