/* The remembered device choice: after a full enumeration picked and opened a device, the
 * driver library, platform and device names are written to the program cache folder under a key
 * of everything that could change the choice (the selection options, the ICD loader settings and
 * the installed ICD files). A later process with the same key loads only that driver, skipping
 * the others' initialisation (seconds for some, PoCL's LLVM among them). */
#ifndef EDGEQ_GPU_DEVICE_MEMO_H
#define EDGEQ_GPU_DEVICE_MEMO_H

#include <stddef.h>

#include "gpu_options.h"

typedef struct {
  char library[1024], platform[256], device[256];
  int device_index; /* among its platform's devices (identical GPUs share a name) */
} eqg_memo;

/* The memo file's path for these options in cache_dir; -1 when there is none to use. */
int eqg_memo_path(const eqg_options* o, const char* cache_dir, char* path, size_t len);
/* Reads a memo; 0, or -1 when absent or malformed. */
int eqg_memo_read(const char* path, eqg_memo* m);
/* Writes it (temp file + rename); failures only mean the next start enumerates again. */
void eqg_memo_write(const char* path, const eqg_memo* m);

#endif
