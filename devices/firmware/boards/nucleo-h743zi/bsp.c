/* ST NUCLEO-H743ZI / -H743ZI2 (STM32H743ZI, Cortex-M7). Runs on the 64 MHz HSI it resets to (no
 * PLL, caches off): cycle counts are the core's, latencies are at 64 MHz. The ST-LINK virtual COM
 * port is USART3 on PD8 (TX) / PD9 (RX), AF7, clocked from PCLK1 = 64 MHz. The timed-window GPIO is
 * PB0 (LD1, the green LED): probe it to trigger an energy monitor. */
#include "../../bsp.h"
#include "../../cortex_m/dwt.h"
#include "../../cortex_m/rx_ring.h"

#define REG(a) (*(volatile uint32_t*)(a))
#define RCC 0x58024400u
#define RCC_AHB4ENR REG(RCC + 0x0E0u)
#define RCC_APB1LENR REG(RCC + 0x0E8u)
#define GPIOB 0x58020400u
#define GPIOD 0x58020C00u
#define GPIO_MODER(g) REG((g) + 0x00u)
#define GPIO_BSRR(g) REG((g) + 0x18u)
#define GPIO_AFRH(g) REG((g) + 0x24u)
#define USART3 0x40004800u
#define USART_CR1 REG(USART3 + 0x00u)
#define USART_BRR REG(USART3 + 0x0Cu)
#define USART_ISR REG(USART3 + 0x1Cu)
#define USART_RDR REG(USART3 + 0x24u)
#define USART_TDR REG(USART3 + 0x28u)
#define USART3_IRQ 39
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define CORE_HZ 64000000u

const char bsp_board[] = "nucleo-h743zi";

void bsp_init(void) {
  RCC_AHB4ENR |= (1u << 1) | (1u << 3); /* GPIOB, GPIOD */
  RCC_APB1LENR |= 1u << 18;             /* USART3 */
  (void)RCC_APB1LENR;                   /* read back: the clock is on before the registers are used */
  GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~(0xFu << 16)) | (0xAu << 16); /* PD8, PD9: alternate function */
  GPIO_AFRH(GPIOD) = (GPIO_AFRH(GPIOD) & ~0xFFu) | 0x77u;                 /* AF7 = USART3 */
  GPIO_MODER(GPIOB) = (GPIO_MODER(GPIOB) & ~0x3u) | 0x1u;                 /* PB0: output */
  USART_BRR = (CORE_HZ + 115200u / 2) / 115200u;
  USART_CR1 = (1u << 5) | (1u << 3) | (1u << 2) | 1u; /* RXNE interrupt, TE, RE, UE */
  NVIC_ISER(USART3_IRQ / 32) = 1u << (USART3_IRQ % 32);
  dwt_init();
}

void bsp_putc(char c) {
  while (!(USART_ISR & (1u << 7))) {
  }
  USART_TDR = (uint8_t)c;
}

void bsp_irq(int n) {
  if (n != USART3_IRQ) return;
  while (USART_ISR & (1u << 5)) {
    rx_push((uint8_t)USART_RDR);
  }
}

int bsp_getc(void) { return rx_getc(); }

uint64_t bsp_ticks(void) { return dwt_ticks(); }
uint32_t bsp_tick_hz(void) { return CORE_HZ; }
const char* bsp_timer(void) { return "dwt-cyccnt"; }
void bsp_window(int on) { GPIO_BSRR(GPIOB) = on ? 1u : 1u << 16; }
