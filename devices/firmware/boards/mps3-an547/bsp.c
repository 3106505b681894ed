/* QEMU's mps3-an547: Cortex-M55 (Helium) on Arm's Corstone-300 FPGA image (AN547). Runs in the
 * Secure state it resets into (SAU off: all memory Secure). UART0 (CMSDK) at 0x49303000, APB clock
 * 25 MHz; its RX interrupt is 33 in QEMU 7.2 and 34 in later QEMU (the AN547 numbering), so both
 * are enabled (the TX interrupt stays off in the UART itself). SysTick runs at the 32 MHz system
 * clock; under -icount shift=0 one instruction is one nanosecond of virtual time, so
 * instructions = ticks * 31.25. */
#include "../../bsp.h"
#include "../../cortex_m/cmsdk_uart.h"
#include "../../cortex_m/systick.h"

#define UART0 0x49303000u
#define UART0_RX_IRQ 33
#define UART0_RX_IRQ_AN547 34
#define APB_HZ 25000000u
#define SYSCLK_HZ 32000000u

const char bsp_board[] = "mps3-an547";

void bsp_init(void) {
  cmsdk_uart_init(UART0, APB_HZ, UART0_RX_IRQ);
  NVIC_ISER(UART0_RX_IRQ_AN547 / 32) = 1u << (UART0_RX_IRQ_AN547 % 32);
  systick_init();
}
void bsp_putc(char c) { cmsdk_uart_putc(UART0, c); }
int bsp_getc(void) { return rx_getc(); }
uint64_t bsp_ticks(void) { return systick_ticks(); }
uint32_t bsp_tick_hz(void) { return SYSCLK_HZ; }
const char* bsp_timer(void) { return "systick"; }
void bsp_window(int on) { (void)on; /* no GPIO an energy monitor could watch under emulation */ }
void bsp_irq(int n) {
  if (n == UART0_RX_IRQ || n == UART0_RX_IRQ_AN547) cmsdk_uart_isr(UART0);
}
