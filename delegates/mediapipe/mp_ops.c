#include "mp_ops.h"

#include <math.h>
#include <string.h>

/* row-major 3x3 / 4x4 products with float sums in k order */
static void mat3_vec(const float a[9], const float v[3], float out[3]) {
  for (int r = 0; r < 3; ++r) {
    float sum = 0;
    for (int k = 0; k < 3; ++k) sum += a[r * 3 + k] * v[k];
    out[r] = sum;
  }
}

static void mat4_mul_into(float t[16], const float o[16]) {
  float res[16];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      float sum = 0;
      for (int k = 0; k < 4; ++k) sum += t[r * 4 + k] * o[k * 4 + c];
      res[r * 4 + c] = sum;
    }
  memcpy(t, res, sizeof(res));
}

void eqmp_landmarks_to_transform_matrix(const eqmp_l2tm_params* p, const float* lm, float* out16) {
  const float* l = lm + 3 * p->left_rotation_idx;
  const float* r = lm + 3 * p->right_rotation_idx;
  const float rot = p->target_rotation_radians - atan2f(r[1] - l[1], r[0] - l[0]);
  /* the subset's bounding box in the frame rotated by rot; its centre rotated back */
  const float rm[9] = {cosf(rot), -sinf(rot), 0.0f, sinf(rot), cosf(rot), 0.0f, 0.0f, 0.0f, 1.0f};
  const float ri[9] = {cosf(-rot), -sinf(-rot), 0.0f, sinf(-rot), cosf(-rot), 0.0f, 0.0f, 0.0f, 1.0f};
  float mx[3] = {0}, mn[3] = {0};
  for (int i = 0; i < p->n_subset; ++i) {
    const float* q = lm + 3 * p->subset[i];
    const float v[3] = {q[0], q[1], 1.0f};
    float w[3];
    mat3_vec(rm, v, w);
    if (i == 0) {
      memcpy(mx, w, sizeof(w));
      memcpy(mn, w, sizeof(w));
      continue;
    }
    if (mx[0] < w[0]) mx[0] = w[0];
    if (mx[1] < w[1]) mx[1] = w[1];
    if (mn[0] > w[0]) mn[0] = w[0];
    if (mn[1] > w[1]) mn[1] = w[1];
  }
  const float crop_w = mx[0] - mn[0], crop_h = mx[1] - mn[1];
  float c[3] = {mn[0], mn[1], mn[2]}, centre[3];
  c[0] += mx[0];
  c[1] += mx[1];
  c[0] /= 2;
  c[1] /= 2;
  mat3_vec(ri, c, centre);

  float t[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  const float shift[16] = {1, 0, 0, centre[0], 0, 1, 0, centre[1], 0, 0, 1, 0, 0, 0, 0, 1};
  mat4_mul_into(t, shift);
  const float a = -rot;
  const float rot4[16] = {cosf(a), -sinf(a), 0, 0, sinf(a), cosf(a), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  mat4_mul_into(t, rot4);
  const float sx = p->scale_x * crop_w / (float)p->output_width;
  const float sy = p->scale_y * crop_h / (float)p->output_height;
  const float scale[16] = {sx, 0, 0, 0, 0, sy, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  mat4_mul_into(t, scale);
  const float hx = (float)(-1.0 * (p->output_width / 2.0)), hy = (float)(-1.0 * (p->output_height / 2.0));
  const float shift2[16] = {1, 0, 0, hx, 0, 1, 0, hy, 0, 0, 1, 0, 0, 0, 0, 1};
  mat4_mul_into(t, shift2);
  memcpy(out16, t, sizeof(t));
}

static float dot4(const float a[4], const float b[4]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]; }

void eqmp_transform_tensor_bilinear(const float* in, int ih, int iw, int c, const float* m, float* out, int oh,
                                    int ow) {
  float xt[4] = {m[0], m[1], m[2], m[3]}, yt[4] = {m[4], m[5], m[6], m[7]};
  /* pixel centres: T -> S * T * A with A shifting by +0.5 and S by -0.5 */
  xt[3] = (float)((double)xt[3] + ((double)xt[0] * 0.5 + (double)xt[1] * 0.5 - 0.5));
  yt[3] = (float)((double)yt[3] + ((double)yt[0] * 0.5 + (double)yt[1] * 0.5 - 0.5));
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox) {
      const float co[4] = {(float)ox, (float)oy, 0.0f, 1.0f};
      const float tx = dot4(xt, co), ty = dot4(yt, co);
      float* o = out + ((size_t)oy * ow + ox) * c;
      if (tx < 0.0f || tx > (float)(iw - 1) || ty < 0.0f || ty > (float)(ih - 1)) {
        memset(o, 0, sizeof(float) * (size_t)c);
        continue;
      }
      const float fx = floorf(tx), fy = floorf(ty);
      const int x0 = (int)fx, y0 = (int)fy;
      const float rc = tx - fx, lc = ty - fy;
      for (int z = 0; z < c; ++z) {
#define EQMP_AT(h, w) ((h) < 0 || (w) < 0 || (h) >= ih || (w) >= iw ? 0.0f : in[((size_t)(h) * iw + (w)) * c + z])
        const float q11 = EQMP_AT(y0, x0), q21 = EQMP_AT(y0, x0 + 1);
        const float q12 = EQMP_AT(y0 + 1, x0), q22 = EQMP_AT(y0 + 1, x0 + 1);
#undef EQMP_AT
        const float upper = (float)((1.0 - rc) * q11 + rc * q21);
        const float lower = (float)((1.0 - rc) * q12 + rc * q22);
        o[z] = (float)(lc * lower + (1.0 - lc) * upper);
      }
    }
}

void eqmp_transform_landmarks(const float* in, int n, int dims, const float* m, float* out) {
  const float xt[4] = {m[0], m[1], m[2], m[3]}, yt[4] = {m[4], m[5], m[6], m[7]};
  for (int i = 0; i < n; ++i) {
    const float* p = in + (size_t)i * dims;
    const float v[4] = {p[0], p[1], 0.0f, 1.0f};
    float* o = out + (size_t)i * dims;
    o[0] = dot4(xt, v);
    o[1] = dot4(yt, v);
    if (dims == 3) o[2] = p[2];
  }
}
