/* Short byte copies inline: callers copy rows of a few to a few dozen bytes (first convs' 9- or 21-byte filter
 * rows, a GEMM tile's cut columns), where a libc call per row costs more than the copy. Overlapping
 * fixed-size moves, no loop the compiler turns into a call. */
#ifndef EDGEQ_BASE_COPY_H
#define EDGEQ_BASE_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void eq_copy_bytes(int8_t* d, const int8_t* s, size_t n) {
  if (n > 128) {
    memcpy(d, s, n);
  } else if (n > 32) { /* 16-byte moves, the last one overlapping: a 3x3 row of 16 or 32 channels */
    for (size_t i = 0; i + 16 < n; i += 16) {
      uint64_t a[2];
      memcpy(a, s + i, 16);
      memcpy(d + i, a, 16);
    }
    uint64_t b[2];
    memcpy(b, s + n - 16, 16);
    memcpy(d + n - 16, b, 16);
  } else if (n >= 16) {
    uint64_t a[2], b[2];
    memcpy(a, s, 16), memcpy(b, s + n - 16, 16);
    memcpy(d, a, 16), memcpy(d + n - 16, b, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8), memcpy(&b, s + n - 8, 8);
    memcpy(d, &a, 8), memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4), memcpy(&b, s + n - 4, 4);
    memcpy(d, &a, 4), memcpy(d + n - 4, &b, 4);
  } else if (n >= 2) {
    uint16_t a, b;
    memcpy(&a, s, 2), memcpy(&b, s + n - 2, 2);
    memcpy(d, &a, 2), memcpy(d + n - 2, &b, 2);
  } else if (n == 1) {
    d[0] = s[0];
  }
}

#endif
