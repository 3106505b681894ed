/* A reader for the small FlexBuffers maps mediapipe stores as custom-op options: integer and
 * float scalars and integer vectors, looked up by key. Bounds-checked: a malformed buffer reads
 * as "key absent", never outside the buffer. */
#ifndef EDGEQ_MEDIAPIPE_FLEXBUF_H
#define EDGEQ_MEDIAPIPE_FLEXBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t* buf;
  size_t size;
  size_t map;   /* offset of the root map's first value */
  size_t width; /* byte width of the map's values */
  size_t count; /* entries */
} eqmp_flexmap;

/* 0 when `data` holds a FlexBuffers map at its root, -1 otherwise. */
int eqmp_flexmap_open(eqmp_flexmap* m, const void* data, size_t size);
/* 0 and *out when `key` holds an int (or uint / bool) or a float; -1 when absent or another type. */
int eqmp_flexmap_int(const eqmp_flexmap* m, const char* key, int64_t* out);
int eqmp_flexmap_float(const eqmp_flexmap* m, const char* key, double* out);
/* The number of integers of vector `key` (at most `cap` are written to out), or -1. */
int eqmp_flexmap_ints(const eqmp_flexmap* m, const char* key, int32_t* out, int cap);

#endif
