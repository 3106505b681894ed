/* The UART receive path every port shares: the RX interrupt pushes bytes into a ring, bsp_getc()
 * pops them and sleeps in WFI while the ring is empty. The host waits for each answer before it
 * sends more, so the ring never fills. */
#ifndef EDGEQ_FW_RX_RING_H
#define EDGEQ_FW_RX_RING_H

#include <stdint.h>

static volatile uint8_t rx_ring[256];
static volatile uint8_t rx_head, rx_tail; /* written by the ISR / by rx_getc */

static inline void rx_push(uint8_t c) {
  rx_ring[rx_head] = c;
  rx_head = (uint8_t)(rx_head + 1u);
}

/* The check runs with interrupts masked. On silicon WFI also runs masked: a pending interrupt ends
 * it even so, and nothing can slip in between. QEMU 7.2's M-profile WFI does not wake on a masked
 * interrupt, so the emulated ports (RX_WFI_UNMASKED) unmask first and rely on their periodic
 * timer interrupt to pick up a byte landing between the check and WFI. */
static inline int rx_getc(void) {
  for (;;) {
    __asm volatile("cpsid i" ::: "memory");
    if (rx_tail != rx_head) {
      const int c = rx_ring[rx_tail];
      rx_tail = (uint8_t)(rx_tail + 1u);
      __asm volatile("cpsie i" ::: "memory");
      return c;
    }
#if defined(RX_WFI_UNMASKED)
    __asm volatile("cpsie i\n wfi" ::: "memory");
#else
    __asm volatile("wfi\n cpsie i" ::: "memory");
#endif
  }
}

#endif
