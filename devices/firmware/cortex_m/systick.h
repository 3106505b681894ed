/* A 64-bit tick count from SysTick (24-bit, counting down) and its wrap interrupt, for cores
 * without a usable DWT cycle counter (QEMU does not model the DWT). */
#ifndef EDGEQ_FW_SYSTICK_H
#define EDGEQ_FW_SYSTICK_H

#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SYSTICK_RELOAD 0x000FFFFFu /* 2^20 ticks: also bounds how long a WFI can miss a byte */

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { ++systick_wraps; }

static inline void systick_init(void) {
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, wrap interrupt, enabled */
}

static inline uint64_t systick_ticks(void) {
  uint32_t w, v;
  do {
    w = systick_wraps;
    v = SYST_CVR;
    /* a wrap between the reads runs the handler at once: read again */
  } while (w != systick_wraps);
  uint64_t t = (uint64_t)w * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - v);
  return t;
}

#endif
