/* eq_requantize_armsimd32 (the Cortex-M formulation) against eq_requantize (the reference
 * arithmetic): random and edge accumulators, every shift TFLite produces, both roundings. */
#include <stdio.h>
#include <stdlib.h>

#include "base/requant.h"
#include "base/requant-armsimd32.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)(state >> 16);
}

int main(void) {
  static const int32_t edges[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1,
                                  1 << 30, -(1 << 30), (1 << 20) + 1, -(1 << 20) - 1, 12345, -12345};
  long checked = 0, bad = 0;
  for (long i = 0; i < 4000000; ++i) {
    int32_t acc = (int32_t)next();
    if (i % 4 == 1) acc >>= (next() % 31);          /* small magnitudes: where ties live */
    if (i % 64 == 3) acc = edges[next() % (sizeof(edges) / sizeof(edges[0]))];
    const int32_t mult = (int32_t)((1u << 30) + (next() & 0x3FFFFFFFu)); /* QuantizeMultiplier's range */
    const int32_t m = i % 101 == 0 ? 0 : (i % 103 == 0 ? INT32_MAX : mult);
    const int32_t shift = (int32_t)(next() % 62) - 31;                     /* [-31, 30] */
    const int single = (int)(next() & 1);
    const int32_t zp = (int32_t)(next() % 256) - 128;
    for (int s = 0; s < 2; ++s) {
      const int32_t sh = s ? shift : (shift > 0 ? -shift : shift); /* right shifts are the common case */
      if (single && sh > 30) continue;
      const int8_t want = eq_requantize(acc, m, sh, single, zp, -128, 127);
      const int8_t got = eq_requantize_armsimd32(acc, m, sh, single, zp, -128, 127);
      ++checked;
      if (want != got && bad++ < 10)
        printf("acc %d mult %d shift %d single %d zp %d: reference %d fast %d\n", acc, m, sh, single, zp, want, got);
    }
  }
  printf("%ld cases, %ld differ\n", checked, bad);
  return bad != 0;
}
