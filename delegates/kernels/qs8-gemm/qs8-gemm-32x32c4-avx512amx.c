/* AMX kernel, 32 rows x 32 channels per step, int8 weights. tdpbssd multiplies a 16x64 int8 tile of
 * activations (signed, read in place: rows a + r * lda) by a 64x16 tile of weights (the plan's
 * NR=16, KR=4 stream is exactly AMX's B layout: 16 rows of 4 steps x 16 channels) into 16x16
 * int32 sums, 16K products per instruction. Four accumulator tiles (2 row halves x 2 channel
 * tiles), two A and two B tiles: each tile load feeds two tdpbssd. A k that is not a multiple of 64
 * ends with one step on a zero-padded copy of the last k % 64 bytes of each row (the packed weights
 * are zero there). The bias carries no activation offset (signed x signed). The sums are stored and
 * requantized as the VNNI kernels do, four rows per packed store.
 * Rows go in blocks of 32; a remainder is one more block of 32 (or 16) ending at the last row,
 * overlapping rows already done (they are computed again and written with the same values), so
 * every call uses one tile configuration; fewer than 16 rows configure tiles of that many rows.
 * Channel tiles are the outer loop when the activations are the smaller operand (conv tasks of
 * up to 64 rows, late layers with large weights: the weights are read once), else the rows. */
#include <immintrin.h>
#include <string.h>
#if defined(EDGEQ_AMX_EMULATE)
#include "base/amx-emulate.h" /* test builds on CPUs without AMX: the tile instructions in C */
#endif

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

/* Requantizes `rows` rows of one 16-channel tile of sums (row stride 16 int32) plus the bias. */
static void requant_tile(const int32_t* sums, size_t rows, __m512i bias, const qs8_avx512_rq* rq, int8_t* c,
                         size_t ldc) {
  size_t r = 0;
  for (; r < rows; r++)
    qs8_avx512_store16_rq(_mm512_add_epi32(_mm512_loadu_si512(sums + 16 * r), bias), rq, c + r * ldc);
}

typedef struct {
  size_t kfull, ktail, tile_bytes, ldc, n_begin, n_end, hrows; /* hrows: rows per tile (16, or m < 16) */
  const int8_t* w;
  const qs8_tile_params* p;
  int8_t* c;
} qs8_amx_job;

/* One block: `two` row halves (hrows rows each) from ar (k tail in at, stride 64) times channel
 * tile t and, when `pair`, t + 1; requantized into rows r0... of c. */
static void amx_block(const qs8_amx_job* j, size_t r0, int two, const int8_t* ar, size_t lda, const int8_t* at,
                      size_t t, int pair) {
  _Alignas(64) int32_t sums[4][16 * 16]; /* [row half * 2 + channel tile] */
  const int8_t* w0 = j->w + t * j->tile_bytes;
  const int8_t* w1 = w0 + j->tile_bytes;
  /* accumulators start at 0 and the bias is added at requantization: a stride-0 tile load of it
   * measured about 40% of a 64x256x64 call */
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const size_t hr = j->hrows, ksteps = j->kfull + (j->ktail ? 64 : 0);
  for (size_t kk = 0; kk < ksteps; kk += 64) {
    const int in_tail = kk == j->kfull;
    const int8_t* a0 = in_tail ? at : ar + kk;
    const size_t sa = in_tail ? 64 : lda;
    _tile_loadd(4, a0, sa);
    _tile_loadd(6, w0 + kk * 16, 64);
    _tile_dpbssd(0, 4, 6);
    if (pair) {
      _tile_loadd(7, w1 + kk * 16, 64);
      _tile_dpbssd(1, 4, 7);
    }
    if (two) {
      _tile_loadd(5, a0 + hr * sa, sa);
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
  const size_t rows = two ? 2 * hr : hr;
  int8_t ctmp[32 * 16];
  for (int h = 0; h <= pair; h++) {
    const size_t n0 = (t + (size_t)h) * 16;
    const qs8_tile_params tp = at_channel(j->p, n0);
    const qs8_avx512_rq rq = qs8_avx512_rq_load(&tp);
    const __m512i bias = _mm512_loadu_si512(tp.bias);
    const int full = n0 >= j->n_begin && n0 + 16 <= j->n_end;
    int8_t* dst = full ? j->c + r0 * j->ldc + n0 : ctmp;
    const size_t ldd = full ? j->ldc : 16;
    requant_tile(sums[h], hr, bias, &rq, dst, ldd);
    if (two) requant_tile(sums[2 + h], hr, bias, &rq, dst + hr * ldd, ldd);
    if (!full) { /* cut tile: all 16 channels aside, then the wanted ones */
      const size_t lo = n0 < j->n_begin ? j->n_begin - n0 : 0;
      const size_t hi = n0 + 16 < j->n_end ? 16 : j->n_end - n0;
      for (size_t r = 0; r < rows; r++) memcpy(j->c + (r0 + r) * j->ldc + n0 + lo, ctmp + r * 16 + lo, hi - lo);
    }
  }
}

void qs8_gemm_32x32c4_avx512amx(size_t m, size_t k, const int8_t* a, size_t lda, const void* w,
                                size_t tile_bytes, const qs8_tile_params* p, int8_t* c, size_t ldc,
                                size_t n_begin, size_t n_end) {
  const size_t hr = m < 16 ? m : 16;
  qs8_amx_cfg cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.palette = 1;
  for (int t = 0; t < 8; t++) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = (uint8_t)(t >= 6 ? 16 : hr); /* B tiles: 16 rows of 4 steps; C and A: hr rows */
  }
  _tile_loadconfig(&cfg);
  qs8_amx_job j = {k / 64 * 64, k % 64, tile_bytes, ldc, n_begin, n_end, hr, (const int8_t*)w, p, c};
  /* row blocks: (first row, two halves?) -- whole 32-row blocks, then one overlapping block */
  size_t blk_r0[64];
  int blk_two[64];
  size_t nblk = 0, r0 = 0;
  const size_t bs = m >= 32 ? 32 : hr; /* m in [16, 32): 16-row blocks */
  const size_t max_blocks = sizeof(blk_r0) / sizeof(blk_r0[0]);
  const int tiles_outer = (m <= 128 && m <= n_end - n_begin) || m <= 64;
  const size_t t_first = n_begin / 16, t_last = (n_end - 1) / 16;
  _Alignas(64) int8_t atail[128 * 64];
  for (size_t done = 0; done < m;) {
    /* up to max_blocks blocks per pass (tiles-outer passes cover at most 128 rows anyway) */
    nblk = 0;
    for (r0 = done; r0 < m && nblk < max_blocks; nblk++) {
      int two = bs == 32;
      size_t start = r0;
      if (r0 + bs > m) { /* remainder: a block ending at row m */
        if (m - r0 <= 16 && m >= 16) {
          two = 0;
          start = m - 16;
        } else {
          start = m - bs;
        }
      }
      blk_r0[nblk] = start;
      blk_two[nblk] = two;
      r0 = start + (two ? 32 : hr);
    }
    const size_t pass_end = r0;
    if (tiles_outer) {
      if (j.ktail) { /* k tails of all the pass's rows (at most 128) */
        const size_t rows = pass_end - done;
        memset(atail, 0, rows * 64);
        for (size_t r = 0; r < rows; r++) memcpy(atail + 64 * r, a + (done + r) * lda + j.kfull, j.ktail);
      }
      for (size_t t = t_first; t <= t_last; t += 2)
        for (size_t b = 0; b < nblk; b++)
          amx_block(&j, blk_r0[b], blk_two[b], a + blk_r0[b] * lda, lda, atail + 64 * (blk_r0[b] - done), t,
                    t + 1 <= t_last);
    } else {
      for (size_t b = 0; b < nblk; b++) {
        const size_t rows = blk_two[b] ? 2 * hr : hr;
        if (j.ktail) {
          memset(atail, 0, rows * 64);
          for (size_t r = 0; r < rows; r++) memcpy(atail + 64 * r, a + (blk_r0[b] + r) * lda + j.kfull, j.ktail);
        }
        for (size_t t = t_first; t <= t_last; t += 2)
          amx_block(&j, blk_r0[b], blk_two[b], a + blk_r0[b] * lda, lda, atail, t, t + 1 <= t_last);
      }
    }
    done = pass_end;
  }
  _tile_release(); /* leave the tile state clean: no 8 KiB saved per context switch */
}
