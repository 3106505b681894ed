/* Arm CMSDK APB UART (the MPS2 / MPS3 FPGA images' UART, emulated by QEMU): polled transmit;
 * receive through the RX interrupt into the shared ring (rx_ring.h). */
#ifndef EDGEQ_FW_CMSDK_UART_H
#define EDGEQ_FW_CMSDK_UART_H

#include <stdint.h>

#define RX_WFI_UNMASKED /* QEMU: see rx_ring.h */
#include "rx_ring.h"

#define CMSDK_UART_DATA(b) (*(volatile uint32_t*)((b) + 0x00))
#define CMSDK_UART_STATE(b) (*(volatile uint32_t*)((b) + 0x04))   /* bit 0 TX full, bit 1 RX full */
#define CMSDK_UART_CTRL(b) (*(volatile uint32_t*)((b) + 0x08))    /* TX en, RX en, TX int, RX int */
#define CMSDK_UART_INTCLR(b) (*(volatile uint32_t*)((b) + 0x0C))
#define CMSDK_UART_BAUDDIV(b) (*(volatile uint32_t*)((b) + 0x10))

#define NVIC_ISER(n) (*(volatile uint32_t*)(0xE000E100u + 4u * (n)))

static inline void cmsdk_uart_init(uintptr_t base, uint32_t pclk_hz, int rx_irq) {
  CMSDK_UART_BAUDDIV(base) = pclk_hz / 115200u;
  CMSDK_UART_CTRL(base) = 1u | 2u | 8u; /* TX, RX, RX interrupt */
  NVIC_ISER(rx_irq / 32) = 1u << (rx_irq % 32);
}

static inline void cmsdk_uart_putc(uintptr_t base, char c) {
  while (CMSDK_UART_STATE(base) & 1u) {
  }
  CMSDK_UART_DATA(base) = (uint8_t)c;
}

/* RX interrupt: move the bytes to the ring.
 * The interrupt is cleared before draining: a byte landing after the last check raises it again,
 * where clearing afterwards would lose that interrupt and leave the receiver full for good. */
static inline void cmsdk_uart_isr(uintptr_t base) {
  CMSDK_UART_INTCLR(base) = 2u;
  while (CMSDK_UART_STATE(base) & 2u) rx_push((uint8_t)CMSDK_UART_DATA(base));
}

#endif
