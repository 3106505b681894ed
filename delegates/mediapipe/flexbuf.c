/* FlexBuffers: a value is stored in its parent's byte width; offset types (maps, vectors, keys,
 * strings) point backwards from where they are stored, and their packed type's low two bits give
 * the byte width of the target's elements. A map is a values vector preceded by [keys offset,
 * keys byte width, size] and followed by one packed type byte per value. */
#include "flexbuf.h"

#include <string.h>

enum { FB_INT = 1, FB_UINT = 2, FB_FLOAT = 3, FB_KEY = 4, FB_MAP = 9, FB_VECTOR = 10, FB_VECTOR_INT = 11,
       FB_VECTOR_UINT = 12, FB_BOOL = 26 };

static int in(const eqmp_flexmap* m, size_t at, size_t n) { return at <= m->size && n <= m->size - at; }

static int read_uint(const uint8_t* buf, size_t size, size_t at, size_t w, uint64_t* v) {
  if (!(w == 1 || w == 2 || w == 4 || w == 8) || at > size || w > size - at) return -1;
  uint64_t x = 0;
  for (size_t i = 0; i < w; ++i) x |= (uint64_t)buf[at + i] << (8 * i);
  *v = x;
  return 0;
}

static int read_int(const uint8_t* buf, size_t size, size_t at, size_t w, int64_t* v) {
  uint64_t u;
  if (read_uint(buf, size, at, w, &u) != 0) return -1;
  if (w < 8 && (u >> (8 * w - 1)) & 1) u |= ~(uint64_t)0 << (8 * w);
  *v = (int64_t)u;
  return 0;
}

/* where an offset stored at `at` (width w) points */
static int deref(const uint8_t* buf, size_t size, size_t at, size_t w, size_t* target) {
  uint64_t off;
  if (read_uint(buf, size, at, w, &off) != 0 || off > at) return -1;
  *target = at - (size_t)off;
  return 0;
}

int eqmp_flexmap_open(eqmp_flexmap* m, const void* data, size_t size) {
  memset(m, 0, sizeof(*m));
  m->buf = data;
  m->size = size;
  if (!data || size < 3) return -1;
  const size_t root_w = m->buf[size - 1];
  const uint8_t packed = m->buf[size - 2];
  if ((packed >> 2) != FB_MAP || root_w == 0 || root_w > size - 2) return -1;
  size_t map;
  if (deref(m->buf, size, size - 2 - root_w, root_w, &map) != 0) return -1;
  const size_t w = (size_t)1 << (packed & 3);
  uint64_t count;
  if (map < 3 * w || read_uint(m->buf, size, map - w, w, &count) != 0) return -1;
  if (count > size || !in(m, map, (size_t)count * (w + 1))) return -1;
  m->map = map;
  m->width = w;
  m->count = (size_t)count;
  return 0;
}

/* index of `key` in the map, or -1 */
static long find(const eqmp_flexmap* m, const char* key) {
  size_t keys;
  uint64_t kw;
  const size_t w = m->width;
  if (deref(m->buf, m->size, m->map - 3 * w, w, &keys) != 0) return -1;
  if (read_uint(m->buf, m->size, m->map - 2 * w, w, &kw) != 0) return -1;
  const size_t klen = strlen(key);
  for (size_t i = 0; i < m->count; ++i) {
    size_t s;
    if (deref(m->buf, m->size, keys + i * (size_t)kw, (size_t)kw, &s) != 0) return -1;
    if (in(m, s, klen + 1) && memcmp(m->buf + s, key, klen) == 0 && m->buf[s + klen] == 0) return (long)i;
  }
  return -1;
}

static int value(const eqmp_flexmap* m, const char* key, uint8_t* packed, size_t* at) {
  const long i = find(m, key);
  if (i < 0) return -1;
  *packed = m->buf[m->map + m->count * m->width + (size_t)i];
  *at = m->map + (size_t)i * m->width;
  return 0;
}

int eqmp_flexmap_int(const eqmp_flexmap* m, const char* key, int64_t* out) {
  uint8_t packed;
  size_t at;
  if (value(m, key, &packed, &at) != 0) return -1;
  const int t = packed >> 2;
  if (t == FB_INT) return read_int(m->buf, m->size, at, m->width, out);
  if (t == FB_UINT || t == FB_BOOL) {
    uint64_t u;
    if (read_uint(m->buf, m->size, at, m->width, &u) != 0 || u > (uint64_t)INT64_MAX) return -1;
    *out = (int64_t)u;
    return 0;
  }
  return -1;
}

int eqmp_flexmap_float(const eqmp_flexmap* m, const char* key, double* out) {
  uint8_t packed;
  size_t at;
  if (value(m, key, &packed, &at) != 0) return -1;
  const int t = packed >> 2;
  if (t == FB_FLOAT && in(m, at, m->width)) {
    if (m->width == 4) {
      float f;
      memcpy(&f, m->buf + at, 4);
      *out = f;
      return 0;
    }
    if (m->width == 8) {
      memcpy(out, m->buf + at, 8);
      return 0;
    }
    return -1;
  }
  int64_t i;
  if ((t == FB_INT || t == FB_UINT) && eqmp_flexmap_int(m, key, &i) == 0) {
    *out = (double)i;
    return 0;
  }
  return -1;
}

int eqmp_flexmap_ints(const eqmp_flexmap* m, const char* key, int32_t* out, int cap) {
  uint8_t packed;
  size_t at;
  if (value(m, key, &packed, &at) != 0) return -1;
  const int t = packed >> 2;
  if (t != FB_VECTOR_INT && t != FB_VECTOR_UINT && t != FB_VECTOR) return -1;
  size_t vec;
  const size_t ew = (size_t)1 << (packed & 3);
  uint64_t n;
  if (deref(m->buf, m->size, at, m->width, &vec) != 0 || vec < ew) return -1;
  if (read_uint(m->buf, m->size, vec - ew, ew, &n) != 0 || n > (uint64_t)m->size) return -1;
  if (!in(m, vec, (size_t)n * ew + (t == FB_VECTOR ? (size_t)n : 0))) return -1;
  for (size_t i = 0; i < n; ++i) {
    int64_t v;
    if (t == FB_VECTOR) {
      const int et = m->buf[vec + (size_t)n * ew + i] >> 2;
      if (et != FB_INT && et != FB_UINT) return -1;
    }
    if (t == FB_VECTOR_UINT) {
      uint64_t u;
      if (read_uint(m->buf, m->size, vec + i * ew, ew, &u) != 0 || u > INT32_MAX) return -1;
      v = (int64_t)u;
    } else if (read_int(m->buf, m->size, vec + i * ew, ew, &v) != 0 || v < INT32_MIN || v > INT32_MAX) {
      return -1;
    }
    if ((int)i < cap) out[i] = (int32_t)v;
  }
  return (int)n;
}
