/* Streaming SHA-256 (FIPS 180-4): the firmware checks that a model sent with `model load` is the
 * one compiled into it. */
#ifndef EDGEQ_FW_SHA256_H
#define EDGEQ_FW_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t block[64];
  uint32_t used;
} sha256_ctx;

void sha256_init(sha256_ctx* c);
void sha256_update(sha256_ctx* c, const uint8_t* data, size_t n);
void sha256_final(sha256_ctx* c, uint8_t digest[32]);

#endif
