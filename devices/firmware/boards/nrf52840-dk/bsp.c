/* Nordic nRF52840-DK (nRF52840, Cortex-M4F at 64 MHz). The J-Link virtual COM port is UART0 on
 * P0.06 (TX) / P0.08 (RX), run from the crystal (HFXO) for an exact baud rate. The timed-window
 * GPIO is P0.13 (LED1, active low: lit during the window). Cycles from the DWT counter. */
#include "../../bsp.h"
#include "../../cortex_m/dwt.h"
#include "../../cortex_m/rx_ring.h"

#define REG(a) (*(volatile uint32_t*)(a))
#define CLOCK 0x40000000u
#define UART0 0x40002000u
#define UART_TASKS_STARTRX REG(UART0 + 0x000u)
#define UART_TASKS_STARTTX REG(UART0 + 0x008u)
#define UART_EVENTS_RXDRDY REG(UART0 + 0x108u)
#define UART_EVENTS_TXDRDY REG(UART0 + 0x11Cu)
#define UART_INTENSET REG(UART0 + 0x304u)
#define UART_ENABLE REG(UART0 + 0x500u)
#define UART_PSEL_RTS REG(UART0 + 0x508u)
#define UART_PSEL_TXD REG(UART0 + 0x50Cu)
#define UART_PSEL_CTS REG(UART0 + 0x510u)
#define UART_PSEL_RXD REG(UART0 + 0x514u)
#define UART_RXD REG(UART0 + 0x518u)
#define UART_TXD REG(UART0 + 0x51Cu)
#define UART_BAUDRATE REG(UART0 + 0x524u)
#define UART0_IRQ 2
#define P0 0x50000000u
#define P0_OUTSET REG(P0 + 0x508u)
#define P0_OUTCLR REG(P0 + 0x50Cu)
#define P0_DIRSET REG(P0 + 0x518u)
#define WINDOW_PIN 13u
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define CORE_HZ 64000000u

const char bsp_board[] = "nrf52840-dk";

void bsp_init(void) {
  REG(CLOCK + 0x100u) = 0; /* EVENTS_HFCLKSTARTED */
  REG(CLOCK + 0x000u) = 1; /* TASKS_HFCLKSTART: the crystal */
  while (REG(CLOCK + 0x100u) == 0) {
  }
  P0_OUTSET = 1u << WINDOW_PIN; /* LED off */
  P0_DIRSET = 1u << WINDOW_PIN;
  UART_PSEL_TXD = 6;
  UART_PSEL_RXD = 8;
  UART_PSEL_RTS = 0xFFFFFFFFu; /* not connected */
  UART_PSEL_CTS = 0xFFFFFFFFu;
  UART_BAUDRATE = 0x01D7E000u; /* 115200 */
  UART_ENABLE = 4;
  UART_INTENSET = 1u << 2; /* RXDRDY */
  NVIC_ISER(UART0_IRQ / 32) = 1u << (UART0_IRQ % 32);
  UART_TASKS_STARTTX = 1;
  UART_TASKS_STARTRX = 1;
  dwt_init();
}

void bsp_putc(char c) {
  UART_EVENTS_TXDRDY = 0;
  UART_TXD = (uint8_t)c;
  while (UART_EVENTS_TXDRDY == 0) {
  }
}

void bsp_irq(int n) {
  if (n != UART0_IRQ) return;
  while (UART_EVENTS_RXDRDY) {
    UART_EVENTS_RXDRDY = 0;
    rx_push((uint8_t)UART_RXD);
  }
}

int bsp_getc(void) { return rx_getc(); }

uint64_t bsp_ticks(void) { return dwt_ticks(); }
uint32_t bsp_tick_hz(void) { return CORE_HZ; }
const char* bsp_timer(void) { return "dwt-cyccnt"; }
void bsp_window(int on) {
  if (on)
    P0_OUTCLR = 1u << WINDOW_PIN;
  else
    P0_OUTSET = 1u << WINDOW_PIN;
}
