/* MAX_POOL_2D, int8 NHWC: the largest in-bounds tap, then the activation clamp (no rescale:
 * TFLite requires equal input and output quantization). Same parameters as qs8_avgpool. */
#ifndef EDGEQ_S8_MAXPOOL_H
#define EDGEQ_S8_MAXPOOL_H

#include <stdint.h>

#include "qs8-avgpool/qs8-avgpool.h"

#ifdef __cplusplus
extern "C" {
#endif

void s8_maxpool(const qs8_pool_params* p, const int8_t* input, int8_t* output);

#ifdef __cplusplus
}
#endif
#endif
