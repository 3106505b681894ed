/* AMX tile instructions in plain C, for testing the AMX kernels' logic on CPUs without AMX (the
 * 2-core AMD VMs; CI). Included by an AMX variant file after <immintrin.h> when the kernels are built
 * with -DEDGEQ_AMX_EMULATE (CMake option EDGEQ_AMX_EMULATE, a test build only: the emulation is
 * hundreds of times slower than the tiles). It replaces the intrinsics the kernels use by functions
 * on a per-thread tile file, following the instructions' definitions (Intel SDM, AMX):
 *   LDTILECFG   palette 1: tile t has rows[t] rows of colsb[t] bytes (at most 16 x 64);
 *   TILELOADD   row r < rows: colsb bytes from base + r * stride; the rest of the tile reads 0;
 *   TILESTORED  rows x colsb bytes to base + r * stride;
 *   TILEZERO    all 0;
 *   TDPBSSD     C[m][n] += sum over k4 < colsb(A) / 4 of sum_{i<4} A[m][4 k4 + i] * B[k4][4 n + i]
 *               (signed bytes, int32 wraparound), m < rows(C), n < colsb(C) / 4;
 *   TILERELEASE the tile state back to its initial one.
 * A configuration that the hardware would fault on (palette not 1, rows > 16, colsb > 64 or not a
 * multiple of 4, a TDPBSSD whose shapes disagree, a tile used before LDTILECFG) aborts, so a kernel
 * that passes here does not depend on what the emulation leaves undefined. */
#ifndef EDGEQ_BASE_AMX_EMULATE_H
#define EDGEQ_BASE_AMX_EMULATE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int configured;
  uint8_t rows[8];
  uint16_t colsb[8];
  _Alignas(64) uint8_t data[8][16][64];
} eq_amx_emu_state;

static _Thread_local eq_amx_emu_state eq_amx_emu;

static inline void eq_amx_emu_check(int t) {
  if (t < 0 || t > 7 || !eq_amx_emu.configured || eq_amx_emu.rows[t] == 0) abort();
}

static inline void eq_amx_emu_loadconfig(const void* cfg) {
  const uint8_t* c = (const uint8_t*)cfg;
  if (c[0] != 1) abort(); /* palette 1 */
  memset(&eq_amx_emu, 0, sizeof(eq_amx_emu));
  for (int t = 0; t < 8; t++) {
    uint16_t colsb;
    memcpy(&colsb, c + 16 + 2 * t, 2);
    const uint8_t rows = c[48 + t];
    if (rows > 16 || colsb > 64 || colsb % 4 != 0 || (rows == 0) != (colsb == 0)) abort();
    eq_amx_emu.rows[t] = rows;
    eq_amx_emu.colsb[t] = colsb;
  }
  eq_amx_emu.configured = 1;
}

static inline void eq_amx_emu_zero(int t) {
  eq_amx_emu_check(t);
  memset(eq_amx_emu.data[t], 0, sizeof(eq_amx_emu.data[t]));
}

static inline void eq_amx_emu_loadd(int t, const void* base, size_t stride) {
  eq_amx_emu_check(t);
  memset(eq_amx_emu.data[t], 0, sizeof(eq_amx_emu.data[t]));
  for (int r = 0; r < eq_amx_emu.rows[t]; r++)
    memcpy(eq_amx_emu.data[t][r], (const uint8_t*)base + (size_t)r * stride, eq_amx_emu.colsb[t]);
}

static inline void eq_amx_emu_stored(int t, void* base, size_t stride) {
  eq_amx_emu_check(t);
  for (int r = 0; r < eq_amx_emu.rows[t]; r++)
    memcpy((uint8_t*)base + (size_t)r * stride, eq_amx_emu.data[t][r], eq_amx_emu.colsb[t]);
}

static inline void eq_amx_emu_dpbssd(int tc, int ta, int tb) {
  eq_amx_emu_check(tc);
  eq_amx_emu_check(ta);
  eq_amx_emu_check(tb);
  const int m = eq_amx_emu.rows[tc], n = eq_amx_emu.colsb[tc] / 4, k4 = eq_amx_emu.colsb[ta] / 4;
  /* shapes: A is m x 4 k4 bytes, B k4 rows of 4 n bytes */
  if (eq_amx_emu.rows[ta] != m || eq_amx_emu.rows[tb] != k4 || eq_amx_emu.colsb[tb] != 4 * n) abort();
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      int32_t acc;
      memcpy(&acc, &eq_amx_emu.data[tc][i][4 * j], 4);
      uint32_t sum = (uint32_t)acc;
      for (int k = 0; k < k4; k++)
        for (int q = 0; q < 4; q++)
          sum += (uint32_t)((int32_t)(int8_t)eq_amx_emu.data[ta][i][4 * k + q] *
                            (int32_t)(int8_t)eq_amx_emu.data[tb][k][4 * j + q]);
      acc = (int32_t)sum;
      memcpy(&eq_amx_emu.data[tc][i][4 * j], &acc, 4);
    }
}

static inline void eq_amx_emu_release(void) { memset(&eq_amx_emu, 0, sizeof(eq_amx_emu)); }

#undef _tile_loadconfig
#undef _tile_zero
#undef _tile_loadd
#undef _tile_stored
#undef _tile_dpbssd
#undef _tile_release
#define _tile_loadconfig(cfg) eq_amx_emu_loadconfig(cfg)
#define _tile_zero(t) eq_amx_emu_zero(t)
#define _tile_loadd(t, base, stride) eq_amx_emu_loadd((t), (base), (size_t)(stride))
#define _tile_stored(t, base, stride) eq_amx_emu_stored((t), (base), (size_t)(stride))
#define _tile_dpbssd(tc, ta, tb) eq_amx_emu_dpbssd((tc), (ta), (tb))
#define _tile_release() eq_amx_emu_release()

#endif /* EDGEQ_BASE_AMX_EMULATE_H */
