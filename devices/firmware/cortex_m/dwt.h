/* The DWT cycle counter (CYCCNT), widened to 64 bits in software: bsp_ticks() must run at least once
 * per 2^32 cycles (67 s at 64 MHz), which the firmware does around every inference. */
#ifndef EDGEQ_FW_DWT_H
#define EDGEQ_FW_DWT_H

#include <stdint.h>

#define DEMCR (*(volatile uint32_t*)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t*)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t*)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t*)0xE0001FB0u) /* Cortex-M7: writes to the DWT need the unlock key */

static uint32_t dwt_high, dwt_last;

static inline void dwt_init(void) {
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_LAR = 0xC5ACCE55u;
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u; /* CYCCNTENA */
}

static inline uint64_t dwt_ticks(void) {
  const uint32_t now = DWT_CYCCNT;
  if (now < dwt_last) ++dwt_high;
  dwt_last = now;
  return (uint64_t)dwt_high << 32 | now;
}

#endif
