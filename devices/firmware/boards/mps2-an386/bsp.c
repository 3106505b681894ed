/* QEMU's mps2-an386: Cortex-M4F on Arm's MPS2 FPGA board (AN386 image). UART0 (CMSDK) at
 * 0x40004000, RX interrupt 0, clocked at 25 MHz like the CPU. QEMU does not model the DWT, so
 * ticks come from SysTick at the 25 MHz processor clock; under -icount shift=0 one instruction
 * is one nanosecond of virtual time, so instructions = ticks * 40. */
#include "../../bsp.h"
#include "../../cortex_m/cmsdk_uart.h"
#include "../../cortex_m/systick.h"

#define UART0 0x40004000u
#define UART0_RX_IRQ 0
#define SYSCLK_HZ 25000000u

const char bsp_board[] = "mps2-an386";

void bsp_init(void) {
  cmsdk_uart_init(UART0, SYSCLK_HZ, UART0_RX_IRQ);
  systick_init();
}
void bsp_putc(char c) { cmsdk_uart_putc(UART0, c); }
int bsp_getc(void) { return rx_getc(); }
uint64_t bsp_ticks(void) { return systick_ticks(); }
uint32_t bsp_tick_hz(void) { return SYSCLK_HZ; }
const char* bsp_timer(void) { return "systick"; }
void bsp_window(int on) { (void)on; /* no GPIO an energy monitor could watch under emulation */ }
void bsp_irq(int n) {
  if (n == UART0_RX_IRQ) cmsdk_uart_isr(UART0);
}
