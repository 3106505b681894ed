/* AMX kernel, 32 rows x 32 channels per step, int8 weights. tdpbssd multiplies a 16x64 int8 tile of
 * activations (signed, read in place: rows a + r * lda) by a 64x16 tile of weights (the plan's
 * NR=16, KR=4 stream is exactly AMX's B layout: 16 rows of 4 steps x 16 channels) into 16x16
 * int32 sums, 16K products per instruction. Four accumulator tiles (2 row halves x 2 channel
 * tiles), two A and two B tiles: each tile load feeds two tdpbssd. A k that is not a multiple of 64
 * ends with one step on a zero-padded copy of the last k % 64 bytes of each row (the packed weights
 * are zero there). The sums are stored, the bias (without any activation offset: signed x signed)
 * added, and the AVX-512 requantization of the VNNI kernels applied per row. Rows are taken in
 * blocks of 32, then 16; the caller runs the rest (< 16 rows) on the VNNI kernel. */
#include <immintrin.h>
#include <string.h>

#include "qs8-gemm/qs8-gemm-requant-avx512.h"

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} qs8_amx_cfg;

static qs8_tile_params at_channel(const qs8_tile_params* p, size_t n0) {
  qs8_tile_params q = *p;
  q.bias += n0;
  q.mult += n0;
  q.shift += n0;
  q.scale += n0;
  q.lshift += n0;
  q.rshift += n0;
  q.zmask += n0;
  return q;
}

/* Requantizes `rows` rows of one 16-channel tile of sums (row stride 16 int32) into c. */
static void requant_tile(const int32_t* sums, size_t rows, const qs8_tile_params* p, int8_t* c, size_t ldc) {
  const qs8_avx512_rq rq = qs8_avx512_rq_load(p);
  const __m512i bias = _mm512_loadu_si512(p->bias);
  for (size_t r = 0; r < rows; r++)
    qs8_avx512_store16_rq(_mm512_add_epi32(_mm512_loadu_si512(sums + 16 * r), bias), &rq, c + r * ldc);
}

/* Tile numbers are immediates, so each (row half, channel tile) pair is spelled out. */
#define LOAD_A0(p, s) _tile_loadd(4, (p), (s))
#define LOAD_A1(p, s) _tile_loadd(5, (p), (s))

void qs8_gemm_32x32c4_avx512amx(size_t m, size_t k, const int8_t* a, size_t lda, const void* w,
                                size_t tile_bytes, const qs8_tile_params* p, int8_t* c, size_t ldc,
                                size_t n_begin, size_t n_end) {
  qs8_amx_cfg cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.palette = 1;
  for (int t = 0; t < 8; t++) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  const size_t kfull = k / 64 * 64, ktail = k - kfull;
  _Alignas(64) int8_t atail[32 * 64];
  _Alignas(64) int32_t sums[4][16 * 16]; /* [row half * 2 + channel tile] */
  int8_t ctmp[32 * 16];
  const size_t t_first = n_begin / 16, t_last = (n_end - 1) / 16;
  for (size_t r0 = 0; r0 + 16 <= m;) {
    const int two = r0 + 32 <= m; /* 32 rows, else 16 */
    const size_t rows = two ? 32 : 16;
    const int8_t* ar = a + r0 * lda;
    if (ktail) {
      memset(atail, 0, sizeof(atail));
      for (size_t r = 0; r < rows; r++) memcpy(atail + 64 * r, ar + r * lda + kfull, ktail);
    }
    for (size_t t = t_first; t <= t_last;) {
      const int pair = t + 1 <= t_last;
      const int8_t* w0 = (const int8_t*)w + t * tile_bytes;
      const int8_t* w1 = w0 + tile_bytes;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (size_t kk = 0; kk < kfull + (ktail ? 64 : 0); kk += 64) {
        const int in_tail = kk == kfull;
        const int8_t* a0 = in_tail ? atail : ar + kk;
        const size_t sa = in_tail ? 64 : lda;
        LOAD_A0(a0, sa);
        _tile_loadd(6, w0 + kk * 16, 64);
        _tile_dpbssd(0, 4, 6);
        if (pair) {
          _tile_loadd(7, w1 + kk * 16, 64);
          _tile_dpbssd(1, 4, 7);
        }
        if (two) {
          LOAD_A1(a0 + 16 * sa, sa);
          _tile_dpbssd(2, 5, 6);
          if (pair) _tile_dpbssd(3, 5, 7);
        }
      }
      _tile_stored(0, sums[0], 64);
      if (pair) _tile_stored(1, sums[1], 64);
      if (two) {
        _tile_stored(2, sums[2], 64);
        if (pair) _tile_stored(3, sums[3], 64);
      }
      for (int j = 0; j <= pair; j++) {
        const size_t n0 = (t + (size_t)j) * 16;
        const qs8_tile_params tp = at_channel(p, n0);
        const int full = n0 >= n_begin && n0 + 16 <= n_end;
        int8_t* dst = full ? c + r0 * ldc + n0 : ctmp;
        const size_t ldd = full ? ldc : 16;
        requant_tile(sums[j], 16, &tp, dst, ldd);
        if (two) requant_tile(sums[2 + j], 16, &tp, dst + 16 * ldd, ldd);
        if (!full) { /* cut tile: all 16 channels aside, then the wanted ones */
          const size_t lo = n0 < n_begin ? n_begin - n0 : 0;
          const size_t hi = n0 + 16 < n_end ? 16 : n_end - n0;
          for (size_t r = 0; r < rows; r++) memcpy(c + (r0 + r) * ldc + n0 + lo, ctmp + r * 16 + lo, hi - lo);
        }
      }
      t += pair ? 2 : 1;
    }
    r0 += rows;
  }
  _tile_release(); /* leave the tile state clean: no 8 KiB saved per context switch */
}
