/* Board support: the few functions a port of the edgeq firmware provides (boards/<name>/bsp.c). */
#ifndef EDGEQ_FW_BSP_H
#define EDGEQ_FW_BSP_H

#include <stdint.h>

void bsp_init(void);                 /* clocks, UART at 115200 8N1, timer, window GPIO */
void bsp_putc(char c);               /* blocking */
int bsp_getc(void);                  /* blocks (sleeping) until a byte arrives */
uint64_t bsp_ticks(void);            /* free-running 64-bit timer */
uint32_t bsp_tick_hz(void);          /* its rate */
const char* bsp_timer(void);         /* what the ticks count, e.g. "dwt-cyccnt" or "systick" */
void bsp_window(int on);             /* timed-window GPIO: high while inferences run (energy monitors) */
void bsp_irq(int n);                 /* external interrupt n (from the shared vector table) */
extern const char bsp_board[];       /* the board's name, e.g. "mps2-an386" */

#endif
