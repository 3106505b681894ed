/* One OpenCL device opened for the delegate: platform/device selection, context, queue,
 * the kernel program (built once, cached on disk) and what the device offers. */
#ifndef EDGEQ_GPU_DEVICE_H
#define EDGEQ_GPU_DEVICE_H

#include "cl_api.h"
#include "gpu_options.h"

#define EQG_MAX_SEEN 16

/* A device seen while enumerating (the report lists them all). */
typedef struct {
  char platform[128], name[128];
  const char* type; /* "gpu", "cpu", "accelerator", "other" */
  cl_uint compute_units;
  int platform_index, device_index;
} eqg_seen_device;

typedef struct eqg_device {
  eqg_cl cl;
  cl_platform_id platform;
  cl_device_id device;
  cl_context context;
  cl_command_queue queue;
  cl_program program;
  char platform_name[256], device_name[256], driver_version[128], device_version[128];
  const char* dot_variant;   /* "cl_khr_integer_dot_product", "cl_arm_integer_dot_product_int8", "emulated", "none" */
  cl_ulong global_mem, max_alloc, mem_budget;
  cl_uint compute_units, clock_mhz;
  const char* device_type; /* "gpu", "cpu", "accelerator", "other" */
  int profiling;
  eqg_seen_device seen[EQG_MAX_SEEN];
  int n_seen, n_platforms;
  int remembered;            /* opened from the remembered choice (device_memo.h), its driver alone */
  int chosen;                /* index into seen[] of the device opened (or last tried) */
  char selection[1024];      /* how it was chosen, in words */
  char build_options[256];
  /* program build: wall time of compiling from source, or of loading the cached binary */
  double compile_ms, cache_load_ms;
  double cache_store_ms;     /* writing the binary into the cache after a compile (PoCL builds every kernel then) */
  /* where opening the device went (ms): the ICD loader and drivers (once per process), platform and
   * device enumeration, context + queue creation */
  double load_ms, enumerate_ms, context_ms;
  int cache_hit;
  char cache_file[1024];
  char cache_note[256];      /* why the cache was not used or not written, or "" */
  /* process-wide reuse: delegates opened with the same device options share one context and
   * program (refcounted, device.c); each has its own queue. reused: this one found them open
   * (load/enumerate/program then cost 0, context_ms is its queue's creation) */
  struct eqg_shared_dev* shared;
  int reused;
  int command_buffer;        /* the device has cl_khr_command_buffer (recorded partitions: not used yet) */
} eqg_device;

/* "gpu", "cpu", "accelerator" or "other" for a cl_device_type. */
const char* eqg_type_name(unsigned long long type);

/* Opens the device the options select (by default the GPU, else accelerator, with the most
 * compute units over every platform; a CPU device only when asked for) and builds the kernel
 * program; when that fails, the next device in that order is tried. Returns 0; or
 * EQG_ERR_SELECTION when the platform/device options name nothing that exists (a user
 * error); or -1 when OpenCL is unusable here (the delegate then claims nothing). The
 * one-line reason is in err. */
#define EQG_ERR_SELECTION (-2)
int eqg_device_open(eqg_device* d, const eqg_options* o, char* err, size_t errlen);
void eqg_device_close(eqg_device* d);
/* Delegates now holding the shared context d was opened on (1 when not shared). */
int eqg_device_sharers(const eqg_device* d);

/* Builds d->program from source, through the on-disk binary cache in cache_dir (NULL: none). */
int eqg_program_build(eqg_device* d, const char* source, const char* cache_dir, char* err, size_t errlen);

/* Wall clock in milliseconds. */
double eqg_now_ms(void);

#endif
