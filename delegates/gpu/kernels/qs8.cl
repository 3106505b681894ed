/* edgeq GPU delegate kernels: int8 activations, int8 or packed int4 weights, integer
 * arithmetic bit-exact with TFLite's reference kernels (BUILTIN_REF).
 *
 * Build options: -DEQ_DOT_KHR (cl_khr_integer_dot_product), -DEQ_DOT_ARM
 * (cl_arm_integer_dot_product_int8), -DEQ_DOT_EMULATE (same code path, software dot,
 * to test the zero-point folding on devices without the extensions). */

#if defined(EQ_DOT_KHR)
#pragma OPENCL EXTENSION cl_khr_integer_dot_product : enable
#define EQ_DOT4(a, b) dot((a), (b))
#define EQ_HAS_DOT 1
#elif defined(EQ_DOT_ARM)
#pragma OPENCL EXTENSION cl_arm_integer_dot_product_int8 : enable
#define EQ_DOT4(a, b) arm_dot((a), (b))
#define EQ_HAS_DOT 1
#elif defined(EQ_DOT_EMULATE)
static int eq_dot4_sw(char4 a, char4 b) {
  return (int)a.x * b.x + (int)a.y * b.y + (int)a.z * b.z + (int)a.w * b.w;
}
#define EQ_DOT4(a, b) eq_dot4_sw((a), (b))
#define EQ_HAS_DOT 1
#endif

/* ---- gemmlowp / TFLite fixed-point arithmetic ---- */

/* SaturatingRoundingDoublingHighMul: 64-bit product, nudge, truncating division. */
static int eq_srdhm(int a, int b) {
  if (a == INT_MIN && b == INT_MIN) return INT_MAX;
  long ab = (long)a * (long)b;
  long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
  return (int)((ab + nudge) / (1L << 31));
}

/* RoundingDivideByPOT: ties away from zero. */
static int eq_rdpot(int x, int exponent) {
  if (exponent <= 0) return x;
  int mask = (int)((1L << exponent) - 1);
  int remainder = x & mask;
  int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static int eq_shl(int x, int s) { return as_int(as_uint(x) << s); }

/* MultiplyByQuantizedMultiplier, double rounding (CONV_2D, DEPTHWISE, MEAN). */
static int eq_mbqm(int x, int m, int shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  return eq_rdpot(eq_srdhm(eq_shl(x, left), m), right);
}

/* Single rounding (FULLY_CONNECTED in LiteRT 2.3 BUILTIN_REF). */
static int eq_mbqm_single(int x, int m, int shift) {
  int total = 31 - shift;
  long round = 1L << (total - 1);
  return (int)(((long)x * (long)m + round) >> total);
}

static int eq_int4_at(__global const uchar* p, uint i) {
  uchar b = p[i >> 1];
  return (i & 1) ? (int)(((char)b) >> 4) : (int)(((char)(uchar)(b << 4)) >> 4);
}

static int eq_hsum8(int8 v) {
  const int4 a = v.lo + v.hi;
  const int2 b = a.lo + a.hi;
  return b.x + b.y;
}

/* The fused epilogue of conv / FC kernels (gpu/fuse.h): the elementwise ops after the node applied to
 * the requantized byte v of output element i before it is stored. epi_mode 0: none; 1: a 256-entry
 * table of v (unary ops composed); 2: a 65536-entry table of v and other[i] (a same-shape ADD / SUB /
 * MUL and the unary ops around it). */
static char eq_epi(char v, size_t i, __global const uchar* epi, __global const uchar* other, int epi_mode) {
  if (epi_mode == 1) return (char)epi[(uchar)v];
  if (epi_mode == 2) return (char)epi[((uint)(uchar)v << 8) | other[i]];
  return v;
}

/* Weight element i: int8, or a nibble of the packed int4 buffer. */
#define EQ_W(w, i, int4) ((int4) ? eq_int4_at((__global const uchar*)(w), (i)) : (int)((__global const char*)(w))[i])

/* ---- CONV_2D: one work item = one output (channel oc, pixel p) ---- */
__kernel void conv2d_qs8(__global const char* in, __global const char* w, __global const int* bias,
                         __global const int* mult, __global const int* shift, __global char* out,
                         int in_h, int in_w, int in_c, int out_h, int out_w, int out_c, int kh, int kw,
                         int sh, int sw, int dh, int dw, int pad_h, int pad_w, int in_zp, int out_zp,
                         int act_min, int act_max, int int4, int w_interleaved, int pixels,
                         __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  const int oc = get_global_id(0);
  const int p = get_global_id(1);
  if (oc >= out_c || p >= pixels) return; /* the grid is rounded up to whole work groups */
  const int ox = p % out_w, oy = (p / out_w) % out_h, b = p / (out_w * out_h);
  const int iy0 = oy * sh - pad_h, ix0 = ox * sw - pad_w;
  int acc = 0;
#ifdef EQ_HAS_DOT
  /* sum w*(x-zp) = sum w*x - zp*sum w; padded taps read x=zp so they add 0 */
  if (!int4 && !w_interleaved && (in_c & 3) == 0) {
    int wsum = 0;
    for (int ky = 0; ky < kh; ++ky) {
      const int iy = iy0 + ky * dh;
      for (int kx = 0; kx < kw; ++kx) {
        const int ix = ix0 + kx * dw;
        const int inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
        __global const char4* wp = (__global const char4*)((__global const char*)w + ((oc * kh + ky) * kw + kx) * in_c);
        __global const char4* xp = (__global const char4*)(in + ((b * in_h + iy) * in_w + ix) * in_c);
        for (int c = 0; c < in_c / 4; ++c) {
          const char4 wv = wp[c];
          wsum += EQ_DOT4(wv, (char4)(1));
          if (inside) acc += EQ_DOT4(xp[c], wv);
          else acc += EQ_DOT4((char4)((char)in_zp), wv);
        }
      }
    }
    acc -= in_zp * wsum;
  } else
#endif
  {
    /* w_interleaved (int8, in_c % 8 == 0): weights stored as [K/8][out_c][8], so the lanes
     * of a work group (consecutive oc) load consecutive 8-byte chunks; sums are exact int32
     * in any order */
    const int vec = w_interleaved;
    int8 acc8 = (int8)(0);
    for (int ky = 0; ky < kh; ++ky) {
      const int iy = iy0 + ky * dh;
      if (iy < 0 || iy >= in_h) continue;
      for (int kx = 0; kx < kw; ++kx) {
        const int ix = ix0 + kx * dw;
        if (ix < 0 || ix >= in_w) continue;
        __global const char* xp = in + ((b * in_h + iy) * in_w + ix) * in_c;
        const uint wbase = (uint)((oc * kh + ky) * kw + kx) * (uint)in_c;
        if (vec) {
          const uint kk0 = (uint)((ky * kw + kx) * in_c);
          for (int c = 0; c < in_c; c += 8)
            acc8 += convert_int8(vload8(((kk0 + (uint)c) >> 3) * (uint)out_c + (uint)oc, w)) *
                    (convert_int8(vload8(0, xp + c)) - in_zp);
        } else {
          for (int c = 0; c < in_c; ++c) acc += EQ_W(w, wbase + c, int4) * ((int)xp[c] - in_zp);
        }
      }
    }
    acc += eq_hsum8(acc8);
  }
  acc += bias[oc];
  acc = eq_mbqm(acc, mult[oc], shift[oc]) + out_zp;
  out[p * out_c + oc] = eq_epi((char)clamp(acc, act_min, act_max), (size_t)p * out_c + oc, epi, epi_other, epi_mode);
}

/* ---- DEPTHWISE_CONV_2D: weights [1][KH][KW][C*M] ---- */
__kernel void depthwise_qs8(__global const char* in, __global const char* w, __global const int* bias,
                            __global const int* mult, __global const int* shift, __global char* out,
                            int in_h, int in_w, int in_c, int out_h, int out_w, int out_c, int depth_mult,
                            int kh, int kw, int sh, int sw, int dh, int dw, int pad_h, int pad_w, int in_zp,
                            int out_zp, int act_min, int act_max, int int4, int pixels, __global const uchar* epi,
                            __global const uchar* epi_other, int epi_mode) {
  const int oc = get_global_id(0);
  const int p = get_global_id(1);
  if (oc >= out_c || p >= pixels) return; /* the grid is rounded up to whole work groups */
  const int ic = oc / depth_mult;
  const int ox = p % out_w, oy = (p / out_w) % out_h, b = p / (out_w * out_h);
  const int iy0 = oy * sh - pad_h, ix0 = ox * sw - pad_w;
  int acc = 0;
  for (int ky = 0; ky < kh; ++ky) {
    const int iy = iy0 + ky * dh;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < kw; ++kx) {
      const int ix = ix0 + kx * dw;
      if (ix < 0 || ix >= in_w) continue;
      const int x = in[((b * in_h + iy) * in_w + ix) * in_c + ic];
      acc += EQ_W(w, (uint)((ky * kw + kx) * out_c + oc), int4) * (x - in_zp);
    }
  }
  acc += bias[oc];
  acc = eq_mbqm(acc, mult[oc], shift[oc]) + out_zp;
  out[p * out_c + oc] = eq_epi((char)clamp(acc, act_min, act_max), (size_t)p * out_c + oc, epi, epi_other, epi_mode);
}

/* ---- FULLY_CONNECTED: weights [N][K], one work item = output (n, row m) ---- */
__kernel void fully_connected_qs8(__global const char* in, __global const char* w, __global const int* bias,
                                  __global const int* mult, __global const int* shift, __global char* out,
                                  int n_out, int k, int in_zp, int out_zp, int act_min, int act_max, int int4,
                                  __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  const int n = get_global_id(0);
  const int m = get_global_id(1);
  if (n >= n_out) return;
  __global const char* x = in + m * k;
  int acc = 0;
#ifdef EQ_HAS_DOT
  if (!int4 && (k & 3) == 0) {
    __global const char4* wp = (__global const char4*)((__global const char*)w + n * k);
    __global const char4* xp = (__global const char4*)x;
    int wsum = 0;
    for (int c = 0; c < k / 4; ++c) {
      acc += EQ_DOT4(xp[c], wp[c]);
      wsum += EQ_DOT4(wp[c], (char4)(1));
    }
    acc -= in_zp * wsum;
  } else
#endif
  {
    const uint wbase = (uint)n * (uint)k;
    for (int c = 0; c < k; ++c) acc += EQ_W(w, wbase + c, int4) * ((int)x[c] - in_zp);
  }
  acc += bias[n];
  acc = eq_mbqm_single(acc, mult[n], shift[n]) + out_zp;
  out[m * n_out + n] = eq_epi((char)clamp(acc, act_min, act_max), (size_t)m * n_out + n, epi, epi_other, epi_mode);
}

/* ---- FULLY_CONNECTED for long rows: one work group of EQ_FC_WG lanes per output (n, m);
 * lanes stride over K with 16-wide loads (int4: 8 packed bytes = 16 weights, even/odd
 * nibbles against even/odd inputs), then a tree reduction in local memory. double_round: the
 * conv's requantization (a 1x1 stride-1 CONV_2D over few pixels and a long depth is this GEMM). ---- */
#define EQ_FC_WG 64
__kernel __attribute__((reqd_work_group_size(EQ_FC_WG, 1, 1)))
void fully_connected_wg_qs8(__global const char* in, __global const char* w, __global const int* bias,
                            __global const int* mult, __global const int* shift, __global char* out, int n_out,
                            int k, int in_zp, int out_zp, int act_min, int act_max, int int4, int double_round,
                            __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  const int lid = get_local_id(0);
  const int n = get_group_id(0);
  const int m = get_global_id(1);
  __global const char* x = in + m * k;
  __local int part[EQ_FC_WG];
  const int kv = k & ~15;
  int acc = 0;
  int8 a8 = (int8)(0);
  if (!int4) {
    __global const char* wr = w + n * k;
    for (int c = lid * 16; c < kv; c += EQ_FC_WG * 16) {
      const int16 p = convert_int16(vload16(0, wr + c)) * (convert_int16(vload16(0, x + c)) - in_zp);
      a8 += p.lo + p.hi;
    }
    for (int c = kv + lid; c < k; c += EQ_FC_WG) acc += (int)wr[c] * ((int)x[c] - in_zp);
  } else if ((k & 1) == 0) {
    __global const uchar* wr = (__global const uchar*)w + n * (k >> 1);
    for (int c = lid * 16; c < kv; c += EQ_FC_WG * 16) {
      const uchar8 bytes = vload8(0, wr + (c >> 1));
      const int8 lo = convert_int8(as_char8((uchar8)(bytes << (uchar8)(4)))) >> 4;
      const int8 hi = convert_int8(as_char8(bytes)) >> 4;
      const int16 xv = convert_int16(vload16(0, x + c)) - in_zp;
      a8 += lo * xv.even + hi * xv.odd;
    }
    for (int c = kv + lid; c < k; c += EQ_FC_WG)
      acc += eq_int4_at((__global const uchar*)w, (uint)(n * k + c)) * ((int)x[c] - in_zp);
  } else { /* odd rows start mid-byte */
    for (int c = lid; c < k; c += EQ_FC_WG)
      acc += eq_int4_at((__global const uchar*)w, (uint)(n * k + c)) * ((int)x[c] - in_zp);
  }
  part[lid] = acc + eq_hsum8(a8);
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = EQ_FC_WG / 2; s > 0; s >>= 1) {
    if (lid < s) part[lid] += part[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) {
    int r = part[0] + bias[n];
    r = (double_round ? eq_mbqm(r, mult[n], shift[n]) : eq_mbqm_single(r, mult[n], shift[n])) + out_zp;
    out[m * n_out + n] = eq_epi((char)clamp(r, act_min, act_max), (size_t)m * n_out + n, epi, epi_other, epi_mode);
  }
}

/* ---- FULLY_CONNECTED, few rows, k % 16 == 0: a GEMV that spreads over the whole device. A work
 * group of EQ_GEMV_WG lanes takes EQ_GEMV_WG / EQ_GEMV_LPR outputs (n) of one row (m); the
 * EQ_GEMV_LPR lanes of an output stride over its weight row in aligned 16-byte (int8) or 8-byte
 * (int4: 16 nibbles) loads, so a group of lanes reads one contiguous run of the row, with four
 * steps unrolled for loads in flight (rows are 16-byte aligned: k % 16 == 0 and buffers start
 * aligned). Partial sums meet in local memory; integer sums are exact, so any order matches. ---- */
#define EQ_GEMV_WG 256
#define EQ_GEMV_LPR 32
static int eq_dot16_zp(char16 w, char16 x, int in_zp) {
  const int16 p = convert_int16(w) * (convert_int16(x) - in_zp);
  return eq_hsum8(p.lo + p.hi);
}

__kernel __attribute__((reqd_work_group_size(EQ_GEMV_WG, 1, 1)))
void fc_gemv_qs8(__global const char* in, __global const char* w, __global const int* bias,
                 __global const int* mult, __global const int* shift, __global char* out, int n_out, int k,
                 int in_zp, int out_zp, int act_min, int act_max, int w4,
                 __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  const int lid = get_local_id(0);
  const int r = lid / EQ_GEMV_LPR, l = lid % EQ_GEMV_LPR;
  const int n = get_group_id(0) * (EQ_GEMV_WG / EQ_GEMV_LPR) + r;
  const int m = get_global_id(1);
  __local int part[EQ_GEMV_WG];
  int acc = 0;
  if (n < n_out) {
    const int kc = k >> 4; /* 16-element chunks */
    __global const int4* x = (__global const int4*)(in + (size_t)m * k);
    if (!w4) {
      __global const int4* wr = (__global const int4*)(w + (size_t)n * k);
#pragma unroll 4
      for (int c = l; c < kc; c += EQ_GEMV_LPR) acc += eq_dot16_zp(as_char16(wr[c]), as_char16(x[c]), in_zp);
    } else {
      __global const uint2* wr = (__global const uint2*)((__global const uchar*)w + (size_t)n * (k >> 1));
#pragma unroll 4
      for (int c = l; c < kc; c += EQ_GEMV_LPR) {
        const uchar8 bytes = as_uchar8(wr[c]);
        const int8 lo = convert_int8(as_char8((uchar8)(bytes << (uchar8)(4)))) >> 4;
        const int8 hi = convert_int8(as_char8(bytes)) >> 4;
        const int16 xv = convert_int16(as_char16(x[c])) - in_zp;
        acc += eq_hsum8(lo * xv.even + hi * xv.odd);
      }
    }
  }
  part[lid] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = EQ_GEMV_LPR / 2; s > 0; s >>= 1) {
    if (l < s) part[lid] += part[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (l == 0 && n < n_out) {
    int v = part[lid] + bias[n];
    v = eq_mbqm_single(v, mult[n], shift[n]) + out_zp;
    out[m * n_out + n] = eq_epi((char)clamp(v, act_min, act_max), (size_t)m * n_out + n, epi, epi_other, epi_mode);
  }
}

/* ---- Tiled int8 GEMM for FULLY_CONNECTED and CONV_2D (implicit GEMM: rows are output pixels,
 * columns output channels, depth kh*kw*in_c/groups): a 16x16 work group computes a 64x64 output
 * tile, 4x4 per lane; each step stages 16 of the depth for the tile's 64 rows of x and 64 rows of w
 * in local memory as int16 (x - in_zp, w), k-major so a lane reads 4 rows at once. A lane stages 4
 * consecutive depth elements of one row, one 4-byte load when they are contiguous. Rows / columns
 * / depth out of range and padding taps stage zeros. Integer sums are exact, so any order matches.
 * dense: x rows are contiguous (FULLY_CONNECTED, 1x1 stride-1 unpadded ungrouped conv). Groups:
 * a work group's columns stay inside one group (group = get_group_id(0) / tiles_per_group).
 * Split depth (ksplit > 1, few output tiles): get_group_id(1) / row tiles picks a kchunk-long slice
 * of the depth; the tile's raw int32 sums go to partial[slice][m][n] and gemm_splitk_requant_qs8
 * adds the slices (exact integers, any order), bias, and requantizes. ---- */
#define EQ_GT 64
#define EQ_GK 16
typedef struct {
  int in_h, in_w, in_c, kw, dh, dw, cpg, c_off, iy0, ix0, base;
} eq_tap_geom;

/* x - in_zp for depth elements kk..kk+3 of one output pixel (0 outside the image / depth). */
static int4 eq_stage_x4(__global const char* in, const eq_tap_geom* g, int kk, int k, int in_zp, int vec) {
  int4 r = (int4)(0);
  if (vec) { /* cpg % 4 == 0: one tap, 4 contiguous channels */
    if (kk >= k) return r;
    const int c = kk % g->cpg, t = kk / g->cpg;
    const int iy = g->iy0 + (t / g->kw) * g->dh, ix = g->ix0 + (t % g->kw) * g->dw;
    if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) return r;
    return convert_int4(vload4(0, in + g->base + (iy * g->in_w + ix) * g->in_c + g->c_off + c)) - in_zp;
  }
  int v[4];
  for (int j = 0; j < 4; ++j) {
    const int q = kk + j;
    v[j] = 0;
    if (q >= k) continue;
    const int c = q % g->cpg, t = q / g->cpg;
    const int iy = g->iy0 + (t / g->kw) * g->dh, ix = g->ix0 + (t % g->kw) * g->dw;
    if (iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w)
      v[j] = (int)in[g->base + (iy * g->in_w + ix) * g->in_c + g->c_off + c] - in_zp;
  }
  return (int4)(v[0], v[1], v[2], v[3]);
}

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void gemm_tiled_qs8(__global const char* in, __global const char* w, __global const int* bias,
                    __global const int* mult, __global const int* shift, __global char* out, int n_out, int k,
                    int in_zp, int out_zp, int act_min, int act_max, int m_rows, int double_round, int dense,
                    int in_h, int in_w, int in_c, int out_h, int out_w, int kw, int sh, int sw, int dh, int dw,
                    int pad_h, int pad_w, int npg, int cpg, int tiles_per_group, int ksplit, int kchunk,
                    __global int* partial, __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  __local short xs[EQ_GK][EQ_GT];
  __local short ws[EQ_GK][EQ_GT];
  const int tx = get_local_id(0), ty = get_local_id(1);
  const int grp = get_group_id(0) / tiles_per_group;
  const int n0 = grp * npg + (get_group_id(0) % tiles_per_group) * EQ_GT, n_end = min(grp * npg + npg, n_out);
  const int m_tiles = (m_rows + EQ_GT - 1) / EQ_GT;
  const int slice = get_group_id(1) / m_tiles;
  const int m0 = (get_group_id(1) % m_tiles) * EQ_GT;
  const int k_beg = slice * kchunk, k_end = min(k, k_beg + kchunk);
  const int lane = ty * 16 + tx;
  const int row = lane >> 2, kq = (lane & 3) * 4; /* staging: 4 consecutive k of one row per lane */
  const int mr = m0 + row, nr = n0 + row;
  const int m_ok = mr < m_rows, n_ok = nr < n_end;
  const int vec_w = (k & 3) == 0, vec_x = dense ? vec_w : (cpg & 3) == 0;
  eq_tap_geom g;
  g.in_h = in_h; g.in_w = in_w; g.in_c = in_c; g.kw = kw; g.dh = dh; g.dw = dw; g.cpg = cpg;
  g.c_off = grp * cpg;
  {
    const int p = m_ok ? mr : 0;
    const int ox = p % out_w, oy = (p / out_w) % out_h, b = p / (out_w * out_h);
    g.iy0 = oy * sh - pad_h;
    g.ix0 = ox * sw - pad_w;
    g.base = b * in_h * in_w * in_c;
  }
  __global const char* xrow = in + (size_t)mr * k;
  __global const char* wrow = w + (size_t)nr * k;
  int4 acc0 = (int4)(0), acc1 = (int4)(0), acc2 = (int4)(0), acc3 = (int4)(0);
  for (int k0 = k_beg; k0 < k_end; k0 += EQ_GK) {
    const int kk = k0 + kq;
    int4 xv = (int4)(0), wv = (int4)(0);
    if (m_ok) {
      if (!dense) xv = eq_stage_x4(in, &g, kk, k_end, in_zp, vec_x);
      else if (vec_x && kk < k_end) xv = convert_int4(vload4(0, xrow + kk)) - in_zp;
      else
        for (int j = 0; j < 4; ++j)
          if (kk + j < k_end) ((int*)&xv)[j] = (int)xrow[kk + j] - in_zp;
    }
    if (n_ok) {
      if (vec_w && kk < k_end) wv = convert_int4(vload4(0, wrow + kk));
      else
        for (int j = 0; j < 4; ++j)
          if (kk + j < k_end) ((int*)&wv)[j] = (int)wrow[kk + j];
    }
    xs[kq + 0][row] = (short)xv.s0; xs[kq + 1][row] = (short)xv.s1;
    xs[kq + 2][row] = (short)xv.s2; xs[kq + 3][row] = (short)xv.s3;
    ws[kq + 0][row] = (short)wv.s0; ws[kq + 1][row] = (short)wv.s1;
    ws[kq + 2][row] = (short)wv.s2; ws[kq + 3][row] = (short)wv.s3;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < EQ_GK; ++q) {
      const int4 a = convert_int4(vload4(0, &xs[q][ty * 4]));
      const int4 b = convert_int4(vload4(0, &ws[q][tx * 4]));
      acc0 += a.s0 * b;
      acc1 += a.s1 * b;
      acc2 += a.s2 * b;
      acc3 += a.s3 * b;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  int4 accs[4] = {acc0, acc1, acc2, acc3};
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty * 4 + i;
    if (m >= m_rows) break;
    const int a4[4] = {accs[i].s0, accs[i].s1, accs[i].s2, accs[i].s3};
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tx * 4 + j;
      if (n >= n_end) break;
      if (ksplit > 1) {
        partial[((size_t)slice * m_rows + m) * n_out + n] = a4[j];
        continue;
      }
      const int x = a4[j] + bias[n];
      const int r = (double_round ? eq_mbqm(x, mult[n], shift[n]) : eq_mbqm_single(x, mult[n], shift[n])) + out_zp;
      out[(size_t)m * n_out + n] = eq_epi((char)clamp(r, act_min, act_max), (size_t)m * n_out + n, epi, epi_other, epi_mode);
    }
  }
}

/* ---- gemm_tiled_qs8's split depth: out[i] = requant(bias + sum of the ksplit slices' sums) ---- */
__kernel void gemm_splitk_requant_qs8(__global const int* partial, __global const int* bias, __global const int* mult,
                                      __global const int* shift, __global char* out, int n_out, int total, int ksplit,
                                      int out_zp, int act_min, int act_max, int double_round,
                                      __global const uchar* epi, __global const uchar* epi_other, int epi_mode) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int n = i % n_out;
  int x = bias[n];
  for (int s = 0; s < ksplit; ++s) x += partial[(size_t)s * total + i];
  const int r = (double_round ? eq_mbqm(x, mult[n], shift[n]) : eq_mbqm_single(x, mult[n], shift[n])) + out_zp;
  out[i] = eq_epi((char)clamp(r, act_min, act_max), (size_t)i, epi, epi_other, epi_mode);
}

/* ---- ADD with 5-D broadcasting. meta: dims[5], a_stride[5], b_stride[5] ---- */
__kernel void add_qs8(__global const char* a, __global const char* bb, __global char* out,
                      __constant int* meta, int in1_off, int in2_off, int out_off, int m1, int s1, int m2,
                      int s2, int mo, int so, int left_shift, int act_min, int act_max) {
  const int o = get_global_id(0);
  int rem = o, ai = 0, bi = 0;
  for (int d = 4; d >= 0 && rem; --d) { /* broadcast shapes come collapsed: most leading dims are 1 */
    const int i = rem % meta[d];
    rem /= meta[d];
    ai += i * meta[5 + d];
    bi += i * meta[10 + d];
  }
  const int x = eq_shl(in1_off + a[ai], left_shift);
  const int y = eq_shl(in2_off + bb[bi], left_shift);
  const int sx = eq_rdpot(eq_srdhm(x, m1), -s1);
  const int sy = eq_rdpot(eq_srdhm(y, m2), -s2);
  const int r = eq_rdpot(eq_srdhm(sx + sy, mo), -so) + out_off;
  out[o] = (char)clamp(r, act_min, act_max);
}

/* ---- MUL (mul.cc, broadcasting through the same meta layout as ADD) ---- */
__kernel void mul_qs8(__global const char* a, __global const char* bb, __global char* out, __constant int* meta,
                      int in1_off, int in2_off, int out_off, int m, int s, int act_min, int act_max) {
  const int o = get_global_id(0);
  int rem = o, ai = 0, bi = 0;
  for (int d = 4; d >= 0 && rem; --d) { /* broadcast shapes come collapsed: most leading dims are 1 */
    const int i = rem % meta[d];
    rem /= meta[d];
    ai += i * meta[5 + d];
    bi += i * meta[10 + d];
  }
  const int r = eq_mbqm((in1_off + a[ai]) * (in2_off + bb[bi]), m, s) + out_off;
  out[o] = (char)clamp(r, act_min, act_max);
}

/* MUL of a by LOGISTIC(g) (squeeze-excite gating): the sigmoid is the 256-entry table of g's byte,
 * looked up here instead of in a kernel and buffer of its own */
__kernel void mul_lut_qs8(__global const char* a, __global const uchar* g, __global char* out, __constant int* meta,
                          int in1_off, int in2_off, int out_off, int m, int s, int act_min, int act_max,
                          __constant char* lut) {
  const int o = get_global_id(0);
  int rem = o, ai = 0, bi = 0;
  for (int d = 4; d >= 0 && rem; --d) {
    const int i = rem % meta[d];
    rem /= meta[d];
    ai += i * meta[5 + d];
    bi += i * meta[10 + d];
  }
  const int r = eq_mbqm((in1_off + a[ai]) * (in2_off + lut[g[bi]]), m, s) + out_off;
  out[o] = (char)clamp(r, act_min, act_max);
}

/* ---- LOGISTIC / HARD_SWISH: a 256-entry table indexed by the input byte, 4 elements per item ---- */
/* ---- squeeze-excite gate (gpu/fuse.h se_*): out[i] = table[x[i] << 8 | gtab[conv(s)[b, c]]], the 1x1
 * conv's output channel c of batch b recomputed per element (k_n multiply-adds, double rounding as
 * conv2d_qs8); the conv runs no kernel of its own ---- */
__kernel void se_gate_qs8(__global const uchar* x, __global const char* s, __global const char* w,
                          __global const int* bias, __global const int* mult, __global const int* shift,
                          __global const uchar* gtab, __global const char* table, __global char* out, int total,
                          int c_n, int k_n, int hwc, int in_zp, int out_zp, int act_min, int act_max) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int c = i % c_n, b = i / hwc;
  __global const char* sp = s + b * k_n;
  __global const char* wp = w + c * k_n;
  int acc = 0;
  for (int k = 0; k < k_n; ++k) acc += (int)wp[k] * ((int)sp[k] - in_zp);
  acc += bias[c];
  acc = eq_mbqm(acc, mult[c], shift[c]) + out_zp;
  const uint g = gtab[(uchar)(char)clamp(acc, act_min, act_max)];
  out[i] = table[((uint)x[i] << 8) | g];
}

__kernel void lut_s8(__global const uchar* in, __global uchar* out, __constant uchar* lut, int n) {
  const int i = get_global_id(0) * 4;
  if (i + 4 <= n) { /* vload4 / vstore4 of uchar need no alignment beyond a byte */
    const uchar4 x = vload4(0, in + i);
    vstore4((uchar4)(lut[x.s0], lut[x.s1], lut[x.s2], lut[x.s3]), 0, out + i);
  } else {
    for (int k = i; k < min(i + 4, n); ++k) out[k] = lut[in[k]];
  }
}

/* ---- AVERAGE_POOL_2D / MAX_POOL_2D ---- */
__kernel void pool2d_qs8(__global const char* in, __global char* out, int in_h, int in_w, int c_n, int out_h,
                         int out_w, int fh, int fw, int sh, int sw, int pad_h, int pad_w, int act_min,
                         int act_max, int is_max) {
  const int c = get_global_id(0);
  const int p = get_global_id(1);
  if (c >= c_n) return;
  const int ox = p % out_w, oy = (p / out_w) % out_h, b = p / (out_w * out_h);
  const int iy0 = oy * sh - pad_h, ix0 = ox * sw - pad_w;
  const int fy0 = max(-iy0, 0), fy1 = min(fh, in_h - iy0);
  const int fx0 = max(-ix0, 0), fx1 = min(fw, in_w - ix0);
  int acc = is_max ? -128 : 0, count = 0;
  for (int fy = fy0; fy < fy1; ++fy)
    for (int fx = fx0; fx < fx1; ++fx) {
      const int v = in[((b * in_h + iy0 + fy) * in_w + ix0 + fx) * c_n + c];
      acc = is_max ? max(acc, v) : acc + v;
      ++count;
    }
  if (!is_max) {
    if (count == 0) count = 1;
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
  }
  out[p * c_n + c] = (char)clamp(acc, act_min, act_max);
}

/* ---- MEAN over constant axes. meta: n_kept, n_red, kept_dims[6], kept_strides[6],
 * red_dims[6], red_strides[6] (input strides) ---- */
#define EQ_MEAN_WG 64
/* One work group per output: the lanes sum strided slices of the reduced elements, then a tree
 * in local memory (int32 sums, as the reference's, in another order: integer addition is exact). */
__kernel __attribute__((reqd_work_group_size(EQ_MEAN_WG, 1, 1)))
void mean_qs8(__global const char* in, __global char* out, __constant int* meta, int count, int in_zp,
              int out_zp, int mult, int shift) {
  __local int part[EQ_MEAN_WG];
  const int o = get_group_id(0), lid = get_local_id(0);
  const int n_kept = meta[0], n_red = meta[1];
  int rem = o, base = 0;
  for (int d = n_kept - 1; d >= 0; --d) {
    base += (rem % meta[2 + d]) * meta[8 + d];
    rem /= meta[2 + d];
  }
  int sum = 0;
  for (int r = lid; r < count; r += EQ_MEAN_WG) {
    int rr = r, off = base;
    for (int d = n_red - 1; d >= 0; --d) {
      off += (rr % meta[14 + d]) * meta[20 + d];
      rr /= meta[14 + d];
    }
    sum += in[off];
  }
  part[lid] = sum;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EQ_MEAN_WG / 2; w > 0; w >>= 1) {
    if (lid < w) part[lid] += part[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid) return;
  const int shifted = as_int(as_uint(part[0]) - as_uint(in_zp) * (uint)count);
  const int v = eq_mbqm(shifted, mult, shift) + out_zp;
  out[o] = (char)clamp(v, -128, 127);
}

/* ---- Row programs (LayerNorm, gpu/fuse.h eqg_rowprog): one work group per row of C elements runs the
 * fused nodes' steps in order, each with the arithmetic of the node(s) it replaces: MEAN as mean_qs8 (int32
 * sum, one requantization), the others as 256 / 65536-entry tables of their input bytes built on the host
 * with the reference arithmetic. Per-element values stay in local memory (each lane reads and writes only
 * its own elements, so only a per-row result needs a barrier); every slot is written once. ---- */
#define EQ_ROW_LOCAL 12288 /* EQG_ROW_LOCAL_BYTES in fuse.h */
#define EQ_ROW_MAX_WG 128
#define EQ_ROW_STEP 10

static uchar eq_row_load(int slot, int c, int cn, __global const uchar* xr, __global const uchar* yr,
                         __local const uchar* ebuf, __local const uchar* rbuf, __global const uchar* kc) {
  const int k = slot >> 12, i = slot & 0xfff;
  if (k == 0) return xr[c];
  if (k == 1) return yr[c];
  if (k == 2) return ebuf[i * cn + c];
  if (k == 3) return rbuf[i];
  return kc[i * cn + c];
}

__kernel void rownorm_qs8(__global const uchar* x, __global uchar* y, __constant int* prog, int n_steps, int cn,
                          __global const uchar* tables, __global const uchar* kc) {
  __local uchar ebuf[EQ_ROW_LOCAL];
  __local uchar rbuf[64];
  __local int part[EQ_ROW_MAX_WG];
  const int lid = get_local_id(0), nl = get_local_size(0);
  __global const uchar* xr = x + (size_t)get_group_id(0) * cn;
  __global uchar* yr = y + (size_t)get_group_id(0) * cn;
  for (int s = 0; s < n_steps; ++s) {
    __constant const int* st = prog + s * EQ_ROW_STEP;
    const int op = st[0], dst = st[1], a = st[2], b = st[3];
    __global const uchar* tab = tables + st[4];
    if (op == 0) { /* MEAN over the row */
      int sum = 0;
      for (int c = lid; c < cn; c += nl) sum += (char)eq_row_load(a, c, cn, xr, yr, ebuf, rbuf, kc);
      part[lid] = sum;
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int w = nl / 2; w > 0; w >>= 1) {
        if (lid < w) part[lid] += part[lid + w];
        barrier(CLK_LOCAL_MEM_FENCE);
      }
      if (lid == 0) {
        const int shifted = as_int(as_uint(part[0]) - as_uint(st[5]) * (uint)cn);
        rbuf[dst & 0xfff] = (uchar)(char)clamp(eq_mbqm(shifted, st[6], st[7]) + st[8], -128, 127);
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      continue;
    }
    if ((dst >> 12) == 3) { /* a per-row value */
      if (lid == 0) {
        const uint va = eq_row_load(a, 0, cn, xr, yr, ebuf, rbuf, kc);
        rbuf[dst & 0xfff] = op == 1 ? tab[va] : tab[(va << 8) | eq_row_load(b, 0, cn, xr, yr, ebuf, rbuf, kc)];
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      continue;
    }
    for (int c = lid; c < cn; c += nl) {
      const uint va = eq_row_load(a, c, cn, xr, yr, ebuf, rbuf, kc);
      const uchar v = op == 1 ? tab[va] : tab[(va << 8) | eq_row_load(b, c, cn, xr, yr, ebuf, rbuf, kc)];
      if ((dst >> 12) == 1) yr[c] = v;
      else ebuf[(dst & 0xfff) * cn + c] = v;
    }
  }
}

/* ---- SOFTMAX (gemmlowp fixed point, int8 -> int8 scale 1/256 zp -128): one row per item ---- */
static int fp_mul_pot(int x, int exponent) {
  if (exponent < 0) return eq_rdpot(x, -exponent);
  if (exponent == 0) return x;
  const int threshold = (int)((1L << (31 - exponent)) - 1);
  if (x > threshold) return INT_MAX;
  if (x < -threshold) return INT_MIN;
  return eq_shl(x, exponent);
}

static int fp_exp_quarter(int a) {
  const int constant_term = 1895147668;
  const int constant_1_over_3 = 715827883;
  const int x = a + (1 << 28);
  const int x2 = eq_srdhm(x, x);
  const int x3 = eq_srdhm(x2, x);
  const int x4 = eq_srdhm(x2, x2);
  const int x4_over_4 = fp_mul_pot(x4, -2);
  const int poly = fp_mul_pot(eq_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + eq_srdhm(constant_term, x + poly);
}

__constant int kExpMult[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};

static int fp_exp_on_negative(int a, int int_bits) {
  const int frac_bits = 31 - int_bits;
  const int one_quarter = 1 << (frac_bits - 2);
  const int mask = one_quarter - 1;
  const int a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int result = fp_exp_quarter(fp_mul_pot(a_mod_quarter_minus_quarter, int_bits));
  const int remainder = a_mod_quarter_minus_quarter - a;
  for (int e = -2; e <= 4; ++e) {
    if (int_bits > e) {
      const int s = frac_bits + e;
      if (s < 31 && (remainder & (1 << s))) result = eq_srdhm(result, kExpMult[e + 2]);
    }
  }
  if (int_bits > 5) {
    const int clampv = -(1 << (36 - int_bits));
    if (a < clampv) result = 0;
  }
  if (a == 0) result = INT_MAX;
  return result;
}

static int fp_one_over_one_plus_x(int a) {
  const long sum = (long)a + INT_MAX;
  const long sign = sum >= 0 ? 1 : -1;
  const int half_denominator = (int)((sum + sign) / 2);
  const int c48_17 = 1515870810, cneg32_17 = -1010580540;
  int x = c48_17 + eq_srdhm(half_denominator, cneg32_17);
  const int one_q2 = 1 << 29;
  for (int i = 0; i < 3; ++i) {
    const int hdx = eq_srdhm(half_denominator, x);
    const int one_minus = one_q2 - hdx;
    x = x + fp_mul_pot(eq_srdhm(x, one_minus), 2);
  }
  return fp_mul_pot(x, 1);
}

#define EQ_SOFTMAX_WG 64
/* One work group per row: max and sum of exps reduced in local memory (integer max and wrapping
 * adds give the reference's values in any order), then the lanes write strided outputs. */
__kernel __attribute__((reqd_work_group_size(EQ_SOFTMAX_WG, 1, 1)))
void softmax_qs8(__global const char* in, __global char* out, int depth, int input_multiplier,
                 int input_left_shift, int diff_min) {
  __local int part[EQ_SOFTMAX_WG];
  const int lid = get_local_id(0);
  __global const char* row = in + get_group_id(0) * depth;
  __global char* dst = out + get_group_id(0) * depth;
  int m = -128;
  for (int c = lid; c < depth; c += EQ_SOFTMAX_WG) m = max(m, (int)row[c]);
  part[lid] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EQ_SOFTMAX_WG / 2; w > 0; w >>= 1) {
    if (lid < w) part[lid] = max(part[lid], part[lid + w]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const int max_in_row = part[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  int sum = 0;
  for (int c = lid; c < depth; c += EQ_SOFTMAX_WG) {
    const int diff = row[c] - max_in_row;
    if (diff >= diff_min) {
      const int rescaled = eq_srdhm(eq_shl(diff, input_left_shift), input_multiplier);
      sum += fp_mul_pot(fp_exp_on_negative(rescaled, 5), -12);
    }
  }
  part[lid] = sum;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EQ_SOFTMAX_WG / 2; w > 0; w >>= 1) {
    if (lid < w) part[lid] += part[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const int sum_of_exps = part[0];
  const int headroom_plus_one = sum_of_exps ? (int)clz((uint)sum_of_exps) : 32;
  const int num_bits_over_unit = 12 - headroom_plus_one;
  const int shifted_sum_minus_one = as_int((as_uint(sum_of_exps) << headroom_plus_one) - (1u << 31));
  const int shifted_scale = fp_one_over_one_plus_x(shifted_sum_minus_one);
  for (int c = lid; c < depth; c += EQ_SOFTMAX_WG) {
    const int diff = row[c] - max_in_row;
    if (diff >= diff_min) {
      const int rescaled = eq_srdhm(eq_shl(diff, input_left_shift), input_multiplier);
      const int e = fp_exp_on_negative(rescaled, 5);
      const int unsat = eq_rdpot(eq_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
      dst[c] = (char)clamp(unsat - 128, -128, 127);
    } else {
      dst[c] = (char)-128;
    }
  }
}

/* ---- RESHAPE (copy) and CONCATENATION (strided copy of one input) ---- */
__kernel void copy_i8(__global const char* src, __global char* dst) {
  const int i = get_global_id(0);
  dst[i] = src[i];
}

__kernel void concat_part_i8(__global const char* src, __global char* dst, int chunk, int out_chunk, int offset) {
  const int g = get_global_id(0);
  const int k = g / chunk, j = g - k * chunk;
  dst[k * out_chunk + offset + j] = src[g];
}

/* ---- PAD and TRANSPOSE: each output byte is one input byte or the fill value. meta, 6 axes each
 * (outermost first, rank padded with leading 1s): output dims, padding before, input extent along
 * the output axis, input stride along the output axis. ---- */
__kernel void gather_i8(__global const char* src, __global char* dst, __constant int* meta, int fill, int n) {
  const int o = get_global_id(0);
  if (o >= n) return;
  int rem = o, off = 0, inside = 1;
  for (int d = 5; d >= 0; --d) {
    const int c = rem % meta[d];
    rem /= meta[d];
    const int i = c - meta[6 + d];
    inside &= i >= 0 && i < meta[12 + d];
    off += i * meta[18 + d];
  }
  dst[o] = inside ? src[off] : (char)fill;
}

/* ---- SQUARED_DIFFERENCE: squared_difference.cc's arithmetic as a 256 x 256 table of the two input
 * bytes (common/ops/squared_difference.c), broadcasting through ADD's meta layout ---- */
__kernel void table2_s8(__global const uchar* a, __global const uchar* bb, __global char* out, __constant int* meta,
                        __global const char* table) {
  const int o = get_global_id(0);
  int rem = o, ai = 0, bi = 0;
  for (int d = 4; d >= 0 && rem; --d) {
    const int i = rem % meta[d];
    rem /= meta[d];
    ai += i * meta[5 + d];
    bi += i * meta[10 + d];
  }
  out[o] = table[(int)a[ai] * 256 + (int)bb[bi]];
}

/* ---- BATCH_MATMUL: one work item per output (n, row m of batch b); meta: output batch dims[3], a's and b's
 * batch strides[3] (0 where broadcast), outermost first, then a's strides along m and k, b's along k and n
 * (adj_x / adj_y, or a TRANSPOSE before it read through its permutation: gpu/fuse.h bmm_src), then the
 * output's batch strides[3] and its strides along m and n (contiguous, or a TRANSPOSE after it stored through
 * its permutation: bmm_out). Double rounding, as batch_matmul.cc's int8 kernel. ---- */
__kernel void batch_matmul_qs8(__global const char* a, __global const char* bb, __global char* out,
                               __constant int* meta, int m_rows, int n_out, int k, int a_zp, int b_zp, int out_zp,
                               int mult, int shift, __global const uchar* epi, __global const uchar* epi_other,
                               int epi_mode) {
  const int n = get_global_id(0);
  const int row = get_global_id(1);
  if (n >= n_out) return;
  const int m = row % m_rows;
  int rem = row / m_rows, abase = 0, bbase = 0, obase = 0;
  for (int d = 2; d >= 0; --d) {
    const int i = rem % meta[d];
    rem /= meta[d];
    abase += i * meta[3 + d];
    bbase += i * meta[6 + d];
    obase += i * meta[13 + d];
  }
  abase += m * meta[9];
  bbase += n * meta[12];
  const int sak = meta[10], sbk = meta[11];
  int acc = 0;
  for (int q = 0; q < k; ++q) acc += ((int)a[abase + q * sak] - a_zp) * ((int)bb[bbase + q * sbk] - b_zp);
  const size_t o = (size_t)obase + (size_t)m * meta[16] + (size_t)n * meta[17];
  out[o] = eq_epi((char)clamp(eq_mbqm(acc, mult, shift) + out_zp, -128, 127), o, epi, epi_other, epi_mode);
}
