/* Bilinear interpolation of int8 rows with TFLite's integer arithmetic (reference_ops::ResizeBilinearInteger,
 * 10-bit fractions): for an output pixel between input columns x0, x1 of the input rows y0, y1, with
 * fractions dx = input_x - 1024 x0 and dy = input_y - 1024 y0 (negative or past 1024 at the edges, where x1 = x0
 * or y1 = y0),
 *   t = v00 (1024 - dy)(1024 - dx) + v10 dy (1024 - dx) + v01 (1024 - dy) dx + v11 dy dx,
 *   out = (t + (t > 0 ? 2^19 : -2^19)) / 2^20 (C division), in range by construction.
 * t is exact in int32 here (|t| < 2^30), computed as (1024 - dx) * (v00 (1024 - dy) + v10 dy) + dx * (...),
 * and the rounding as (t + 2^19 + (t >> 31)) >> 20, which equals it for every sign. */
#ifndef EDGEQ_S8_IBILINEAR_H
#define EDGEQ_S8_IBILINEAR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The 10-bit source coordinate of output index i (ComputeInterpolationValuesInteger) and its two input indices. */
void s8_ibilinear_coord(int32_t i, int32_t scale_10, int half_pixel_centers, int32_t in_size, int32_t* frac,
                        int32_t* lo, int32_t* hi);
/* scale_10 of one axis (the reference's, align_corners included) */
int32_t s8_ibilinear_scale(int32_t in_size, int32_t out_size, int align_corners);

/* One output row of out_w pixels of `channels` int8 values: row0 / row1 are input rows y0 / y1 (NHWC, one
 * pixel = channels bytes), dy that row pair's fraction; per output pixel x, the input pixel offsets (in bytes)
 * x0[x] / x1[x] and fraction dx[x]. */
void s8_ibilinear_row(size_t channels, size_t out_w, const int8_t* row0, const int8_t* row1, int32_t dy,
                      const int32_t* x0, const int32_t* x1, const int32_t* dx, int8_t* out);

#ifdef __cplusplus
}
#endif
#endif
