/* The kernel C tests' random numbers: xorshift64, the same sequence on every platform (native and
 * under qemu). A test may pick its seed by defining EQ_TEST_SEED before including this. */
#ifndef EDGEQ_BASE_TEST_RNG_H
#define EDGEQ_BASE_TEST_RNG_H

#include <stdint.h>

#ifndef EQ_TEST_SEED
#define EQ_TEST_SEED 0x2545F4914F6CDD1Dull
#endif

static uint64_t rng_state = EQ_TEST_SEED;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
/* uniform in [lo, hi] */
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

#endif /* EDGEQ_BASE_TEST_RNG_H */
