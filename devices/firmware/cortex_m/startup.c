/* Reset and vector table shared by every Cortex-M port: copies .data, zeroes .bss, enables the
 * FPU (and on Armv8.1-M the MVE, which shares its coprocessor enables), then runs main(). Every
 * external interrupt goes through one handler that reads its number from IPSR. */
#include <stdint.h>

#include "../bsp.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
int main(void);

#define SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)
#define CORTEX_M_IRQS 128

void Reset_Handler(void) {
  const uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  SCB_CPACR |= 0xFu << 20; /* CP10 and CP11 full access */
  __asm volatile("dsb\n isb" ::: "memory");
#endif
  main();
  for (;;) __asm volatile("wfi");
}

static void puts_raw(const char* s) {
  while (*s) bsp_putc(*s++);
}

void Fault_Handler(void) {
  puts_raw("\r\ne-[fault: the firmware crashed]\r\nm-ready\r\n");
  for (;;) __asm volatile("wfi");
}

void Irq_Handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  bsp_irq((int)(ipsr & 0x1FF) - 16);
}

void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void Default_Handler(void) {}

typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) const vector vector_table[16 + CORTEX_M_IRQS] = {
    (vector)&__stack_top, Reset_Handler, Fault_Handler /* NMI */, Fault_Handler /* HardFault */,
    Fault_Handler /* MemManage */, Fault_Handler /* BusFault */, Fault_Handler /* UsageFault */,
    Fault_Handler /* SecureFault */, 0, 0, 0, Default_Handler /* SVC */, Default_Handler /* DebugMon */, 0,
    Default_Handler /* PendSV */, SysTick_Handler,
    [16 ... 16 + CORTEX_M_IRQS - 1] = Irq_Handler,
};

/* The C library subset the model and firmware use: gcc also emits calls to these for copies. */
void* memcpy(void* dst, const void* src, unsigned int n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) *(uint32_t*)d = *(const uint32_t*)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, unsigned int n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  if (d <= s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];
  return dst;
}

void* memset(void* dst, int v, unsigned int n) {
  uint8_t* d = (uint8_t*)dst;
  const uint32_t w = 0x01010101u * (uint8_t)v;
  while (n && ((uintptr_t)d & 3)) {
    *d++ = (uint8_t)v;
    --n;
  }
  for (; n >= 4; n -= 4, d += 4) *(uint32_t*)d = w;
  while (n--) *d++ = (uint8_t)v;
  return dst;
}
