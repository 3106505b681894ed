/* 256-entry table lookup, out[i] = table[(uint8)in[i]]: LOGISTIC and HARD_SWISH, whose tables
 * the compiler fills with TFLite's reference arithmetic for every int8 input. */
#ifndef EDGEQ_X8_LUT_H
#define EDGEQ_X8_LUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void x8_lut_scalar(size_t n, const int8_t* input, int8_t* output, const int8_t table[256]);

#ifdef __cplusplus
}
#endif
#endif
