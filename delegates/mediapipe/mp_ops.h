/* Float kernels of mediapipe's custom ops (the face mesh "attention" model's), following the
 * arithmetic of mediapipe's own TFLite kernels (float sums in their order; the double-precision
 * steps where theirs promote). Shapes are checked by the caller. */
#ifndef EDGEQ_MEDIAPIPE_OPS_H
#define EDGEQ_MEDIAPIPE_OPS_H

#include <stdint.h>

#define EQMP_MAX_SUBSET 512

typedef struct {
  int left_rotation_idx, right_rotation_idx;
  int output_width, output_height;
  float scale_x, scale_y, target_rotation_radians;
  int n_subset; /* indices in subset (pairs flattened) */
  int32_t subset[EQMP_MAX_SUBSET];
} eqmp_l2tm_params;

/* Landmarks2TransformMatrix v2: landmarks (n, 3) → the 4x4 matrix (row-major) that maps crop
 * pixels to landmark space. Every index is < n (checked when parsing). */
void eqmp_landmarks_to_transform_matrix(const eqmp_l2tm_params* p, const float* landmarks, float* out16);

/* TransformTensorBilinear v2: out (oh, ow, c) sampled bilinearly from in (ih, iw, c) at the
 * points the matrix's first two rows map each output pixel to (pixel centres aligned), 0 outside. */
void eqmp_transform_tensor_bilinear(const float* in, int ih, int iw, int c, const float* m16, float* out, int oh,
                                    int ow);

/* TransformLandmarks v2: each of n landmarks (dims 2 or 3 values) → its x, y through the matrix's
 * first two rows; a third value is copied. */
void eqmp_transform_landmarks(const float* in, int n, int dims, const float* m16, float* out);

#endif
