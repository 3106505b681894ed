/* Options of the GPU delegate: the shared ones (ops, report_path, verbose) plus its own. */
#ifndef EDGEQ_GPU_OPTIONS_H
#define EDGEQ_GPU_OPTIONS_H

#include <stddef.h>

#include "options.h"

typedef enum { EQG_DOT_AUTO = 0, EQG_DOT_OFF, EQG_DOT_EMULATE } eqg_dot_mode;

/* offload: auto = the model on GPU / accelerator devices, every partition on a CPU OpenCL device
 * (asked for explicitly: a test and debugging target, where transfers are host copies). */
typedef enum { EQG_OFFLOAD_AUTO = 0, EQG_OFFLOAD_MODEL, EQG_OFFLOAD_ALL } eqg_offload_mode;

typedef enum { EQG_TYPE_AUTO = 0, EQG_TYPE_GPU, EQG_TYPE_CPU, EQG_TYPE_ACCELERATOR, EQG_TYPE_ANY } eqg_type_mode;

typedef struct {
  eq_base_options base;
  char* platform;                 /* NULL, index or name substring */
  char* device;                   /* NULL, index or name substring */
  eqg_type_mode device_type;      /* auto: GPU, else accelerator; CPU only when a platform is named */
  char* cache_dir;                /* NULL = default; "" disables the program cache */
  int profile;                    /* time each kernel with OpenCL events into the report */
  eqg_dot_mode dot;               /* integer dot-product kernels: auto (when the device has them), off, emulate */
  eqg_offload_mode offload;       /* which partitions run on the device (offload.h) */
  long memory_limit_mb;           /* 0 = the device's global memory size */
  /* the offload model's rates (offload.h); 0 = its default */
  double cpu_threads;             /* threads of the CPU path replaced (default: the runtime's) */
  double cpu_gops;                /* CPU int8 G ops/s per thread */
  double device_gops;             /* device int8 G ops/s (default: estimated from the device) */
  double launch_us;               /* device time per node (kernel launch and latency) */
} eqg_options;

int eqg_options_parse(eqg_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                      size_t errlen);
void eqg_options_free(eqg_options* o);
/* The option value naming a device type mode ("gpu", ...). */
const char* eqg_device_type_option(eqg_type_mode m);
/* The program cache folder to use (option, else ~/.cache/edgeq/opencl), or NULL for none. */
const char* eqg_options_cache_dir(const eqg_options* o, char* buf, size_t len);

#endif
