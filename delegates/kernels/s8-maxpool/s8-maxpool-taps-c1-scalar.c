/* Portable MAX_POOL_2D micro-kernel: taps outer, channels inner (a loop the compiler vectorizes). */
#include "s8-maxpool/s8-maxpool-taps.h"

void s8_maxpool_taps_c1_scalar(size_t taps, const int8_t* const* rows, size_t channels, int8_t* out, int8_t lo,
                               int8_t hi) {
  for (size_t c = 0; c < channels; ++c) out[c] = rows[0][c];
  for (size_t t = 1; t < taps; ++t)
    for (size_t c = 0; c < channels; ++c) out[c] = rows[t][c] > out[c] ? rows[t][c] : out[c];
  for (size_t c = 0; c < channels; ++c) out[c] = out[c] < lo ? lo : out[c] > hi ? hi : out[c];
}
